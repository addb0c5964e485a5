//! `tagls mcp`: a Model Context Protocol server on stdio, so that coding
//! agents can ask tagls whether their tags and claims hold (docs/MCP.md).
//!
//! One more face of the core: each tool is a plain function in [`tools`]
//! that calls what `tagls check`, `explain`, `log` and `report` call; this
//! module only speaks the protocol (through the official SDK, `rmcp`). Every
//! tool runs on a blocking thread, and a panic in one becomes a tool error,
//! never the end of the server.

pub mod tools;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, Resource, ResourceContents, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Map, Value, json};

use tools::Outcome;

/// The URI of the implementation log as a resource.
pub const LOG_URI: &str = "tagls://log";
/// The URI of the verification report as a resource.
pub const REPORT_URI: &str = "tagls://report";

/// The server: the workspace root every tool works in.
#[derive(Clone)]
pub struct Server {
    root: Arc<Path>,
}

impl Server {
    pub fn new(root: &Path) -> Server {
        Server {
            root: Arc::from(root),
        }
    }
}

/// A JSON object schema from its properties and required names.
fn schema(properties: Value, required: &[&str]) -> Arc<Map<String, Value>> {
    let mut s = Map::new();
    s.insert("type".into(), json!("object"));
    s.insert("properties".into(), properties);
    if !required.is_empty() {
        s.insert("required".into(), json!(required));
    }
    s.insert("additionalProperties".into(), json!(false));
    Arc::new(s)
}

/// The schema of `tagls check --format json`, which the `check` tool's
/// structured result follows too (a unit test keeps it readable).
fn check_output_schema() -> Arc<Map<String, Value>> {
    match serde_json::from_str(include_str!("../../../docs/check-output.schema.json")) {
        Ok(Value::Object(map)) => Arc::new(map),
        _ => Arc::new(Map::from_iter([("type".to_owned(), json!("object"))])),
    }
}

/// Every tool, with its input schema.
pub fn tool_list() -> Vec<Tool> {
    let read_only = |title: &str| {
        ToolAnnotations::with_title(title)
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(false)
    };
    let writes = |title: &str| {
        ToolAnnotations::with_title(title)
            .read_only(false)
            .destructive(false)
            .idempotent(true)
            .open_world(false)
    };
    let log_props = |modified: bool| {
        let mut p = json!({
            "path": { "type": "string", "description": "The file, relative to the workspace root (or absolute inside it)." },
            "description": { "type": "string", "description": "The entry's Description: line." },
        });
        if modified {
            p["lines"] = json!({ "type": "string", "description": "Lines affected, such as \"8, 102-115\"; default: the lines git reports changed against HEAD." });
            p["changes"] = json!({ "type": "string", "description": "The entry's Changes: line, such as \"Added passwordHash\"." });
        }
        p
    };
    vec![
        Tool::new(
            "check",
            "Run the quality gate (as `tagls check --format json`): verdict, verdict word, ra_status, reason, summary counts and every finding with its path, place, code, severity, gate effect, message and fix.",
            schema(
                json!({ "paths": { "type": "array", "items": { "type": "string" }, "description": "Folders inside the workspace to check as roots, and files whose findings to keep (the workspace is checked whole); default: the workspace root." } }),
                &[],
            ),
        )
        .annotate(read_only("Check the workspace"))
        .with_raw_output_schema(check_output_schema()),
        Tool::new(
            "unresolved_assumptions",
            "The assumptions left open (what makes ra_status present_unresolved), each with its place, tag, message and fix.",
            schema(json!({}), &[]),
        )
        .annotate(read_only("Open assumptions")),
        Tool::new(
            "explain",
            "What a finding code means, what it does to the verdict, an example, how to fix it and how to silence it (the text of `tagls explain CODE`). A tag's name explains its family's code.",
            schema(
                json!({ "code": { "type": "string", "description": "A finding code (missing-path, false-claim, ...) or a tag's name (COMPLETION_DRIVE)." } }),
                &["code"],
            ),
        )
        .annotate(read_only("Explain a finding code")),
        Tool::new(
            "resolve",
            "Resolve what a tag's payload names, as tagls does: a file path (exists? where?), an environment variable (declared in which env file and line; never its value), or every reference in a payload's text. Give exactly one of path, env or payload.",
            schema(
                json!({
                    "path": { "type": "string", "description": "A path as a tag writes it, relative to the tag's file (or the root)." },
                    "env": { "type": "string", "description": "An environment variable's name, such as JWT_SECRET." },
                    "payload": { "type": "string", "description": "A tag's text, such as \"Assuming src/a.ts exists and JWT_SECRET in env\"." },
                    "file": { "type": "string", "description": "The file the tag is written in, relative to the root; default: the root." },
                }),
                &[],
            ),
        )
        .annotate(read_only("Resolve a reference")),
        Tool::new(
            "log_created",
            "Write a #FILE_CREATED entry (with the file's line count) into the implementation log, as `tagls log created` does: atomic, locked, never partial; an entry already there is updated, never duplicated.",
            schema(log_props(false), &["path"]),
        )
        .annotate(writes("Log a created file")),
        Tool::new(
            "log_modified",
            "Write a #FILE_MODIFIED entry (Lines affected: from git, or as given) into the implementation log, as `tagls log modified` does: atomic, locked, never partial; an entry already there is updated, never duplicated.",
            schema(log_props(true), &["path"]),
        )
        .annotate(writes("Log a modified file")),
        Tool::new(
            "read_report",
            "Read the verification report (.orchestration/verification-report.md); with generate: true, write it first from a fresh run of the gate, as `tagls report` does.",
            schema(
                json!({ "generate": { "type": "boolean", "description": "Run the gate and write the report first.", "default": false } }),
                &[],
            ),
        )
        .annotate(writes("Read the verification report")),
    ]
}

/// A tool's outcome as the protocol carries it: the structured result with
/// a summary and the JSON as text, or a tool error with its message.
fn to_result(outcome: Outcome) -> CallToolResult {
    match outcome {
        Ok(answer) => {
            let mut r = CallToolResult::structured(answer.value);
            r.content.insert(0, ContentBlock::text(answer.summary));
            r
        }
        Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
    }
}

/// Runs `work` on a blocking thread; a panic becomes a tool error.
async fn blocking(work: impl FnOnce() -> Outcome + Send + 'static) -> Outcome {
    match tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
    })
    .await
    {
        Ok(Ok(outcome)) => outcome,
        _ => Err("the tool failed with an internal error".to_owned()),
    }
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("tagls", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "tagls checks the Response Awareness tags and the implementation log's claims of this workspace. \
             Call check for the gate's verdict and findings, unresolved_assumptions for what is left open, \
             explain for a finding code, resolve for what a path or env variable leads to, \
             log_created / log_modified to record files in the log, read_report for the verification report.",
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tool_list()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let root = self.root.to_path_buf();
        let args = request.arguments;
        let outcome = match request.name.as_ref() {
            "check" => blocking(move || tools::check(&root, args)).await,
            "unresolved_assumptions" => {
                blocking(move || tools::unresolved_assumptions(&root, args)).await
            }
            "explain" => blocking(move || tools::explain(args)).await,
            "resolve" => blocking(move || tools::resolve(&root, args)).await,
            "log_created" => blocking(move || tools::log(&root, args, true)).await,
            "log_modified" => blocking(move || tools::log(&root, args, false)).await,
            "read_report" => blocking(move || tools::read_report(&root, args)).await,
            other => {
                return Err(ErrorData::invalid_params(
                    format!(
                        "unknown tool `{}`; the tools are: {}",
                        other.escape_debug(),
                        tool_list()
                            .iter()
                            .map(|t| t.name.as_ref())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None,
                ));
            }
        };
        Ok(to_result(outcome).into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let root = self.root.to_path_buf();
        let log = tokio::task::spawn_blocking(move || tools::log_text(&root))
            .await
            .ok()
            .and_then(Result::ok)
            .map(|(rel, _)| rel)
            .unwrap_or_else(|| crate::log::DEFAULT_LOG_PATH.to_owned());
        Ok(ListResourcesResult::with_all_items(vec![
            Resource::new(LOG_URI, "implementation-log")
                .with_title("Implementation log")
                .with_description(format!(
                    "The workspace's implementation log ({log}), where claims are recorded"
                ))
                .with_mime_type("text/markdown"),
            Resource::new(REPORT_URI, "verification-report")
                .with_title("Verification report")
                .with_description(format!(
                    "The verification report `tagls report` writes ({})",
                    crate::cli::report::REPORT_PATH
                ))
                .with_mime_type("text/markdown"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let root = self.root.to_path_buf();
        let uri = request.uri;
        let (rel, text) = match uri.as_str() {
            LOG_URI => tokio::task::spawn_blocking(move || tools::log_text(&root)).await,
            REPORT_URI => {
                tokio::task::spawn_blocking(move || {
                    tools::report_text(&root)
                        .map(|t| (crate::cli::report::REPORT_PATH.to_owned(), t))
                })
                .await
            }
            other => {
                return Err(ErrorData::resource_not_found(
                    format!(
                        "unknown resource `{}`; the resources are {LOG_URI} and {REPORT_URI}",
                        other.escape_debug()
                    ),
                    None,
                ));
            }
        }
        .map_err(|_| ErrorData::internal_error("reading the resource failed", None))?
        .map_err(|e| ErrorData::internal_error(e, None))?;
        let Some(text) = text else {
            return Err(ErrorData::resource_not_found(
                format!("{rel} does not exist yet"),
                None,
            ));
        };
        let mut contents = ResourceContents::text(text, uri);
        if let ResourceContents::TextResourceContents { mime_type, .. } = &mut contents {
            *mime_type = Some("text/markdown".to_owned());
        }
        Ok(ReadResourceResult::new(vec![contents]).into())
    }
}

/// `tagls mcp [--root DIR]`: serves until the client closes stdin.
pub fn run(root: Option<PathBuf>) -> ExitCode {
    let root = match crate::cli::check::roots(root.into_iter().collect()) {
        Ok(mut r) if !r.is_empty() => r.swap_remove(0),
        Ok(_) => return ExitCode::from(crate::cli::EXIT_USAGE),
        Err(e) => {
            eprintln!("tagls: {e}");
            return ExitCode::from(crate::cli::EXIT_USAGE);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tagls: cannot start the async runtime: {e}");
            return ExitCode::from(crate::cli::EXIT_USAGE);
        }
    };
    runtime.block_on(async move {
        let service = match Server::new(&root).serve(rmcp::transport::stdio()).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("tagls: the MCP session did not start: {e}");
                return ExitCode::from(crate::cli::EXIT_USAGE);
            }
        };
        match service.waiting().await {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("tagls: the MCP session ended with an error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_an_object_schema_and_check_has_the_check_schema() {
        let tools = tool_list();
        assert_eq!(tools.len(), 7);
        for t in &tools {
            assert_eq!(
                t.input_schema.get("type"),
                Some(&json!("object")),
                "{}",
                t.name
            );
        }
        let check = tools.iter().find(|t| t.name == "check").unwrap();
        let out = check.output_schema.as_ref().unwrap();
        assert_eq!(
            out.get("title"),
            Some(&json!("tagls check --format json, schema version 1"))
        );
    }
}
