; Environment-variable uses whose name is written out in the source.
; `@env.name` is the name (string contents without quotes), `@_use` the whole
; expression, and the other `_` captures only feed predicates. Computed keys
; such as `os.environ[key]` are left alone: their name is not in the text.
; The anchors around `string_content` reject f-strings with interpolations;
; names with escape sequences are dropped by the Rust side, because the
; grammar nests escapes inside `string_content`.

; os.environ["NAME"]
(subscript
  value: (attribute
    object: (identifier) @_os
    attribute: (identifier) @_environ)
  subscript: (string . (string_start) . (string_content) @env.name . (string_end) .)
  (#eq? @_os "os")
  (#eq? @_environ "environ")) @_use

; os.environ.get("NAME") and os.environ.get("NAME", default)
(call
  function: (attribute
    object: (attribute
      object: (identifier) @_os
      attribute: (identifier) @_environ)
    attribute: (identifier) @_get)
  arguments: (argument_list
    .
    (string . (string_start) . (string_content) @env.name . (string_end) .))
  (#eq? @_os "os")
  (#eq? @_environ "environ")
  (#eq? @_get "get")) @_use

; os.getenv("NAME") and os.getenv("NAME", default)
(call
  function: (attribute
    object: (identifier) @_os
    attribute: (identifier) @_getenv)
  arguments: (argument_list
    .
    (string . (string_start) . (string_content) @env.name . (string_end) .))
  (#eq? @_os "os")
  (#eq? @_getenv "getenv")) @_use
