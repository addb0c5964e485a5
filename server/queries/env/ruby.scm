; Environment-variable uses whose name is written out in the source.
; `@env.name` is the name (string contents without quotes), `@_use` the whole
; expression, and the other `_` captures only feed predicates. Computed keys
; are left alone: their name is not in the text. The anchors around the
; string content reject literals with escapes or interpolation, whose name
; tagls would have to decode.

; ENV["NAME"]
(element_reference
  object: (constant) @_env
  .
  (string . (string_content) @env.name .)
  .
  (#eq? @_env "ENV")) @_use

; ENV.fetch("NAME"), ENV.fetch("NAME", default)
(call
  receiver: (constant) @_env
  method: (identifier) @_fetch
  arguments: (argument_list . (string . (string_content) @env.name .))
  (#eq? @_env "ENV")
  (#eq? @_fetch "fetch")) @_use
