; Environment-variable uses whose name is written out in the source.
; `@env.name` is the name (string contents without quotes), `@_use` the whole
; expression, and the other `_` captures only feed predicates. Computed keys
; are left alone: their name is not in the text. The anchors around the
; string content reject literals with escapes or interpolation, whose name
; tagls would have to decode.

; std::env::var("NAME"), env::var("NAME"), and their var_os forms.
(call_expression
  function: (scoped_identifier
    path: [
      (identifier) @_env
      (scoped_identifier name: (identifier) @_env)
    ]
    name: (identifier) @_func)
  arguments: (arguments . (string_literal . (string_content) @env.name .) .)
  (#eq? @_env "env")
  (#any-of? @_func "var" "var_os")) @_use

; env!("NAME") and option_env!("NAME"), read when the crate is built.
(macro_invocation
  macro: (identifier) @_macro
  (token_tree . (string_literal . (string_content) @env.name .))
  (#any-of? @_macro "env" "option_env")) @_use
