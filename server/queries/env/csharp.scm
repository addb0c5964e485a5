; Environment-variable uses whose name is written out in the source.
; `@env.name` is the name (string contents without quotes), `@_use` the whole
; expression, and the other `_` captures only feed predicates. Computed keys
; are left alone: their name is not in the text. The anchors around the
; string content reject literals with escapes or interpolation, whose name
; tagls would have to decode.

; Environment.GetEnvironmentVariable("NAME"), also as
; System.Environment.GetEnvironmentVariable("NAME").
(invocation_expression
  function: (member_access_expression
    expression: [
      (identifier) @_environment
      (member_access_expression name: (identifier) @_environment)
    ]
    name: (identifier) @_get)
  arguments: (argument_list
    .
    (argument . (string_literal . (string_literal_content) @env.name .) .))
  (#eq? @_environment "Environment")
  (#eq? @_get "GetEnvironmentVariable")) @_use
