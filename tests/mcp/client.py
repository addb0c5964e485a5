"""Drives `tagls mcp` through the official MCP Python SDK (PyPI `mcp`).

Usage: python3 client.py TAGLS_BINARY WORKSPACE < script.json

The script is JSON: {"calls": [[label, tool, arguments], ...],
"resources": [uri, ...]}. The client starts `TAGLS_BINARY mcp` in WORKSPACE
over stdio, initializes, lists the tools and the resources, makes the calls
in order (the SDK checks each structured result against the tool's
output schema), reads the resources, and prints one JSON object with what each
answered (tests/mcp.rs asserts on it). A protocol error is recorded under
its label, not raised; anything else that goes wrong ends the script with a
non-zero status.
"""

import asyncio
import json
import sys

from mcp import ClientSession, MCPError, StdioServerParameters, stdio_client


def content_texts(content):
    return [c.text for c in content if getattr(c, "type", None) == "text"]


async def run(binary, workspace, script):
    params = StdioServerParameters(command=binary, args=["mcp"], cwd=workspace)
    out = {}
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            out["server"] = {
                "name": init.server_info.name,
                "version": init.server_info.version,
                "protocol_version": init.protocol_version,
                "tools": init.capabilities.tools is not None,
                "resources": init.capabilities.resources is not None,
            }
            tools = await session.list_tools()
            out["tools"] = {
                t.name: {
                    "description": t.description,
                    "input_schema": t.input_schema,
                    "output_schema": t.output_schema,
                }
                for t in tools.tools
            }
            resources = await session.list_resources()
            out["resource_list"] = [
                {"uri": str(r.uri), "name": r.name, "mime_type": r.mime_type}
                for r in resources.resources
            ]
            out["calls"] = {}
            for label, tool, arguments in script.get("calls", []):
                try:
                    r = await session.call_tool(tool, arguments)
                    out["calls"][label] = {
                        "is_error": bool(r.is_error),
                        "structured": r.structured_content,
                        "text": content_texts(r.content),
                    }
                except MCPError as e:
                    out["calls"][label] = {
                        "protocol_error": {"code": e.code, "message": e.message}
                    }
            out["resources"] = {}
            for uri in script.get("resources", []):
                try:
                    r = await session.read_resource(uri)
                    out["resources"][uri] = {
                        "texts": [getattr(c, "text", None) for c in r.contents],
                        "mime_types": [c.mime_type for c in r.contents],
                    }
                except MCPError as e:
                    out["resources"][uri] = {
                        "protocol_error": {"code": e.code, "message": e.message}
                    }
    json.dump(out, sys.stdout)


def main():
    binary, workspace = sys.argv[1], sys.argv[2]
    script = json.load(sys.stdin)
    asyncio.run(run(binary, workspace, script))


if __name__ == "__main__":
    main()
