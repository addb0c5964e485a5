; Environment-variable uses whose name is written out in the source.
; `@env.name` is the name (string contents without quotes), `@_use` the whole
; expression, and the other `_` captures only feed predicates. Computed keys
; such as `process.env[name]` are left alone: their name is not in the text.

; process.env.NAME, also inside longer chains such as `process.env.NAME?.trim()`.
(member_expression
  object: (member_expression
    object: (identifier) @_process
    property: (property_identifier) @_env)
  property: (property_identifier) @env.name
  (#eq? @_process "process")
  (#eq? @_env "env")) @_use

; process.env["NAME"] and process.env['NAME']. The anchors reject strings
; with escapes, whose name tagls would have to decode.
(subscript_expression
  object: (member_expression
    object: (identifier) @_process
    property: (property_identifier) @_env)
  index: (string . (string_fragment) @env.name .)
  (#eq? @_process "process")
  (#eq? @_env "env")) @_use

; const { NAME, NAME: alias, NAME = "default", "NAME": alias } = process.env
(variable_declarator
  name: (object_pattern
    [
      (shorthand_property_identifier_pattern) @env.name
      (pair_pattern key: (property_identifier) @env.name)
      (pair_pattern key: (string . (string_fragment) @env.name .))
      (object_assignment_pattern left: (shorthand_property_identifier_pattern) @env.name)
    ])
  value: (member_expression
    object: (identifier) @_process
    property: (property_identifier) @_env)
  (#eq? @_process "process")
  (#eq? @_env "env")) @_use

; ({ NAME } = process.env), the same destructuring without a declaration.
(assignment_expression
  left: (object_pattern
    [
      (shorthand_property_identifier_pattern) @env.name
      (pair_pattern key: (property_identifier) @env.name)
      (pair_pattern key: (string . (string_fragment) @env.name .))
      (object_assignment_pattern left: (shorthand_property_identifier_pattern) @env.name)
    ])
  right: (member_expression
    object: (identifier) @_process
    property: (property_identifier) @_env)
  (#eq? @_process "process")
  (#eq? @_env "env")) @_use

; import.meta.env.NAME, as bundlers such as Vite expose it.
(member_expression
  object: (member_expression
    object: (meta_property "import" "meta")
    property: (property_identifier) @_env)
  property: (property_identifier) @env.name
  (#eq? @_env "env")) @_use
