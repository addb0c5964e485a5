; Environment-variable uses whose name is written out in the source.
; `@env.name` is the name (string contents without quotes), `@_use` the whole
; expression, and the other `_` captures only feed predicates. Computed keys
; are left alone: their name is not in the text. The anchors around the
; string content reject literals with escapes or interpolation, whose name
; tagls would have to decode.

; ProcessInfo.processInfo.environment["NAME"]
(call_expression
  (navigation_expression
    target: (navigation_expression
      target: (simple_identifier) @_type
      suffix: (navigation_suffix suffix: (simple_identifier) @_info))
    suffix: (navigation_suffix suffix: (simple_identifier) @_environment))
  (call_suffix
    (value_arguments
      "["
      .
      (value_argument value: (line_string_literal . text: (line_str_text) @env.name .))
      .))
  (#eq? @_type "ProcessInfo")
  (#eq? @_info "processInfo")
  (#eq? @_environment "environment")) @_use

; getenv("NAME"), Foundation's C function.
(call_expression
  (simple_identifier) @_getenv
  (call_suffix
    (value_arguments
      "("
      .
      (value_argument value: (line_string_literal . text: (line_str_text) @env.name .))
      .))
  (#eq? @_getenv "getenv")) @_use
