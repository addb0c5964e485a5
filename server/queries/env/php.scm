; Environment-variable uses whose name is written out in the source.
; `@env.name` is the name (string contents without quotes), `@_use` the whole
; expression, and the other `_` captures only feed predicates. Computed keys
; are left alone: their name is not in the text. The anchors around the
; string content reject literals with escapes or interpolation, whose name
; tagls would have to decode.

; getenv('NAME')
(function_call_expression
  function: (name) @_getenv
  arguments: (arguments
    .
    (argument . [
      (string . (string_content) @env.name .)
      (encapsed_string . (string_content) @env.name .)
    ] .))
  (#eq? @_getenv "getenv")) @_use

; $_ENV['NAME']
(subscript_expression
  (variable_name (name) @_env)
  .
  [
    (string . (string_content) @env.name .)
    (encapsed_string . (string_content) @env.name .)
  ]
  (#eq? @_env "_ENV")) @_use
