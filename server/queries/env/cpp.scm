; Environment-variable uses whose name is written out in the source.
; `@env.name` is the name (string contents without quotes), `@_use` the whole
; expression, and the other `_` captures only feed predicates. Computed keys
; are left alone: their name is not in the text. The anchors around the
; string content reject literals with escapes or interpolation, whose name
; tagls would have to decode.

; getenv("NAME"), secure_getenv("NAME")
(call_expression
  function: (identifier) @_getenv
  arguments: (argument_list . (string_literal . (string_content) @env.name .) .)
  (#any-of? @_getenv "getenv" "secure_getenv")) @_use

; std::getenv("NAME")
(call_expression
  function: (qualified_identifier
    scope: (namespace_identifier) @_std
    name: (identifier) @_getenv)
  arguments: (argument_list . (string_literal . (string_content) @env.name .) .)
  (#eq? @_std "std")
  (#eq? @_getenv "getenv")) @_use
