; Environment-variable uses whose name is written out in the source.
; `@env.name` is the name (string contents without quotes), `@_use` the whole
; call, and the other `_` captures only feed predicates. Computed keys such as
; `os.Getenv(key)` are left alone: their name is not in the text.

; os.Getenv("NAME") and os.LookupEnv("NAME"), with interpreted or raw string
; literals. The anchors reject literals with escapes, whose name tagls would
; have to decode.
(call_expression
  function: (selector_expression
    operand: (identifier) @_os
    field: (field_identifier) @_func)
  arguments: (argument_list
    .
    [
      (interpreted_string_literal . (interpreted_string_literal_content) @env.name .)
      (raw_string_literal . (raw_string_literal_content) @env.name .)
    ]
    .)
  (#eq? @_os "os")
  (#any-of? @_func "Getenv" "LookupEnv")) @_use
