//! The names a source file defines: its functions, methods and classes, by
//! its syntax tree. A log entry's `Methods:` field is checked against them.

use tree_sitter::Node;

use super::{Language, Visit};

/// Parses too deep or too long are cut here: a file's definitions are
/// looked for in at most this many nodes.
const MAX_NODES: usize = 2_000_000;

/// Whether [`definitions`] knows how `lang` defines names. For another
/// language, a `Methods:` claim is looked for as a word of the file.
pub fn covers(lang: Language) -> bool {
    match lang {
        Language::TypeScript
        | Language::Tsx
        | Language::JavaScript
        | Language::Go
        | Language::Python
        | Language::Swift
        | Language::Rust
        | Language::Java
        | Language::Kotlin
        | Language::CSharp
        | Language::Ruby
        | Language::Php => true,
        // C and C++ name a function inside its declarator; the others
        // define no methods.
        Language::C
        | Language::Cpp
        | Language::Bash
        | Language::Css
        | Language::Scss
        | Language::Lua
        | Language::Yaml
        | Language::Toml
        | Language::Html
        | Language::Vue
        | Language::Svelte => false,
    }
}

/// The names `text` defines as functions, methods, classes and types, in
/// document order, with duplicates.
pub fn definitions(lang: Language, text: &str) -> Vec<String> {
    let mut parser = lang.parser();
    let Some(tree) = parser.parse(text, None) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen = 0usize;
    super::preorder(&tree, |node| {
        seen += 1;
        if let Some(name) = defined_name(node, text) {
            out.push(name.to_owned());
        }
        if seen < MAX_NODES {
            Visit::Descend
        } else {
            Visit::Stop
        }
    });
    out
}

fn is_function(node: Node<'_>) -> bool {
    matches!(
        node.kind(),
        "arrow_function" | "function_expression" | "function" | "generator_function"
    )
}

/// The name a node defines, if it is a definition.
fn defined_name<'t>(node: Node<'_>, text: &'t str) -> Option<&'t str> {
    let named = |field: &str| {
        node.child_by_field_name(field)
            .and_then(|n| text.get(n.byte_range()))
    };
    match node.kind() {
        // TypeScript and JavaScript.
        "function_declaration"
        | "generator_function_declaration"
        | "method_definition"
        | "method_signature"
        | "abstract_method_signature"
        | "function_signature"
        | "class_declaration"
        | "abstract_class_declaration"
        | "interface_declaration"
        | "type_alias_declaration"
        | "enum_declaration"
        // Go (`function_declaration` above), Python.
        | "method_declaration"
        | "type_spec"
        | "function_definition"
        | "class_definition"
        // Swift, Kotlin and Java (`class_declaration`, `function_declaration`
        // and `method_declaration` above), C#, PHP, Lua.
        | "protocol_declaration"
        | "object_declaration"
        | "record_declaration"
        | "struct_declaration"
        | "constructor_declaration"
        // Rust.
        | "function_item"
        | "function_signature_item"
        | "struct_item"
        | "enum_item"
        | "trait_item"
        // Ruby.
        | "method"
        | "singleton_method"
        | "class"
        | "module" => named("name"),
        // `const login = () => ...`, `login: async () => ...`.
        "variable_declarator" | "public_field_definition" | "field_definition" | "pair" => {
            let value = node.child_by_field_name("value")?;
            if !is_function(value) {
                return None;
            }
            named("name")
                .or_else(|| named("property"))
                .or_else(|| named("key"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_methods_and_classes_in_each_language() {
        let ts = "export async function login(a: string) {}\nexport const register = async () => {};\nclass AuthService {\n  logout(): void {}\n  refresh = () => {};\n}\ninterface Store { get(k: string): string }\nconst plain = 3;\nconst api = { fetchUser: function () {}, other: 1 };\n";
        assert_eq!(
            definitions(Language::TypeScript, ts),
            [
                "login",
                "register",
                "AuthService",
                "logout",
                "refresh",
                "Store",
                "get",
                "fetchUser"
            ]
        );
        let go = "package a\nfunc Login() {}\nfunc (s *Svc) Register() {}\ntype Svc struct{}\n";
        assert_eq!(definitions(Language::Go, go), ["Login", "Register", "Svc"]);
        let py =
            "def login():\n    pass\nclass Auth:\n    def register(self):\n        pass\nx = 1\n";
        assert_eq!(
            definitions(Language::Python, py),
            ["login", "Auth", "register"]
        );
        let swift = "class SaveButton {\n  func save() {}\n}\nprotocol Store {}\nstruct Item {}\n";
        assert_eq!(
            definitions(Language::Swift, swift),
            ["SaveButton", "save", "Store", "Item"]
        );
        let rust = "struct Config;\nenum Mode { A }\ntrait Load { fn load(&self); }\nimpl Config { fn new() -> Self { Config } }\nfn main() {}\n";
        assert_eq!(
            definitions(Language::Rust, rust),
            ["Config", "Mode", "Load", "load", "new", "main"]
        );
        let java =
            "class UserService {\n  UserService() {}\n  void find() {}\n}\ninterface Repo {}\n";
        assert_eq!(
            definitions(Language::Java, java),
            ["UserService", "UserService", "find", "Repo"]
        );
        let kotlin = "class Repository {\n  fun load() {}\n}\nobject Registry\n";
        assert_eq!(
            definitions(Language::Kotlin, kotlin),
            ["Repository", "load", "Registry"]
        );
        let ruby =
            "module Shop\n  class User\n    def name; end\n    def self.find; end\n  end\nend\n";
        assert_eq!(
            definitions(Language::Ruby, ruby),
            ["Shop", "User", "name", "find"]
        );
        let cs = "class OrderController {\n  public IActionResult Get() => Ok();\n}\ninterface IStore {}\n";
        assert_eq!(
            definitions(Language::CSharp, cs),
            ["OrderController", "Get", "IStore"]
        );
        let php = "<?php\nfunction greet() {}\nclass Greeting {\n  public function hello() {}\n}\n";
        assert_eq!(
            definitions(Language::Php, php),
            ["greet", "Greeting", "hello"]
        );
        let jsx = "export default function Button() { return <b>x</b>; }\n";
        assert_eq!(definitions(Language::JavaScript, jsx), ["Button"]);
    }
}
