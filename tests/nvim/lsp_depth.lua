-- Drives tagls from a real, headless Neovim (0.7.2 .. 0.11.x) through workspace/symbol
-- and textDocument/completion, for tests/nvim.rs.
--
--   TAGLS_BIN=/path/to/tagls TAGLS_RESULT=/tmp/result.json TAGLS_ROOT=/tmp/ws \
--     nvim --headless -u NONE -i NONE -n -c "luafile tests/nvim/lsp_depth.lua" ws/src/app.ts
--
-- The file is expected to read
--   // #COMPLETION_DRIVE: Assuming src/se
--   // #
-- and the workspace to hold other files with tags that are never opened in the editor.
-- Starts tagls with root_dir $TAGLS_ROOT (default: the current folder), waits for the
-- file's diagnostics, then asks, with vim.lsp.buf_request_sync:
--   workspace/symbol         { query = "stripe" }
--   textDocument/completion  right after the `#` of line 1 (the tag names), and at the end
--                            of `src/se` on line 0 (the workspace paths: they need the
--                            server's file index, built shortly after it started, so the
--                            request is repeated until it answers with items, or until
--                            COMPLETION_RETRY_MS)
-- The positions are found in the buffer's text (it is ASCII: bytes are characters in
-- every offset encoding).
--
-- Writes a JSON object to $TAGLS_RESULT:
--   nvim_version     "0.11.4"
--   offset_encoding  the client's negotiated encoding ("utf-8", "utf-16", ...)
--   root_dir         the root_dir given to the client
--   file             the absolute path of the file
--   diagnostics      the file's diagnostics once they arrived
--                    ([{lnum, col, end_lnum, end_col, message, source, code, severity}])
--   symbol_query     the workspace/symbol query sent
--   symbols          the workspace symbols received:
--                    [{name, kind, container_name, uri, path, range}] (path: the uri as a
--                    file name; range: {start = {line, character}, end = ...} or null)
--   hash_position    the LSP position of the tag-name completion, {line, character}
--   hash_items       its items: [{label, kind, detail, new_text, insert_text}]
--                    (new_text: textEdit.newText, or null)
--   hash_attempts    how many requests it took to get items
--   path_position    the LSP position of the path completion, {line, character}
--   path_items       its items, as hash_items
--   path_attempts    how many requests it took to get items
--   path_ms          milliseconds from the first path request to the last
--   server_exit_code the server's exit code once Neovim stopped it, or null
--   error            null, or what went wrong
-- and exits 0 when the run got that far (whatever the answers: tests/nvim.rs judges them),
-- 1 on any error. It never waits without a timeout.

local NAME = 'lsp_depth.lua'
local HERE = debug.getinfo(1, 'S').source:sub(2):match('^(.*)/[^/]*$') or '.'
local loaded, common = pcall(dofile, HERE .. '/common.lua')
if not loaded then
  io.stderr:write(NAME .. ': cannot load common.lua: ' .. tostring(common) .. '\n')
  vim.cmd('cquit 1')
  return
end

local DIAGNOSTIC_TIMEOUT_MS = 10000
local REQUEST_TIMEOUT_MS = 5000
local COMPLETION_RETRY_MS = 5000
local RETRY_PAUSE_MS = 100
local SYMBOL_QUERY = 'stripe'
local HASH_LINE = 1
local HASH_TEXT = '// #'
local PATH_LINE = 0
local PATH_TEXT = 'src/se'

local result = {
  nvim_version = nil,
  offset_encoding = vim.NIL,
  root_dir = vim.NIL,
  file = vim.NIL,
  diagnostics = {},
  symbol_query = SYMBOL_QUERY,
  symbols = {},
  hash_position = vim.NIL,
  hash_items = {},
  hash_attempts = 0,
  path_position = vim.NIL,
  path_items = {},
  path_attempts = 0,
  path_ms = vim.NIL,
  server_exit_code = vim.NIL,
  error = vim.NIL,
}

local session = common.session(NAME, result)
local json_value = common.json_value
local uv = vim.uv or vim.loop

local function check_server()
  if session.server_exited then
    error('the language server exited early (code ' .. tostring(result.server_exit_code) .. ')')
  end
end

-- The result of `method` from the tagls client, or nil for an empty (null) one.
local function request(bufnr, client_id, method, params)
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, params, REQUEST_TIMEOUT_MS)
  if not responses then
    error(method .. ' request failed: ' .. tostring(err))
  end
  local response = responses[client_id]
  if not response then
    error('no ' .. method .. ' response from the tagls client (timed out?)')
  end
  local rpc_err = response.err or response.error -- 0.11 calls it err, 0.7 error
  if rpc_err then
    error(method .. ' returned an error: ' .. vim.inspect(rpc_err))
  end
  if response.result == nil or response.result == vim.NIL then
    return nil
  end
  return response.result
end

-- The LSP position just after the first `text` on line `line` of `bufnr`.
local function position_after(bufnr, line, text)
  local lines = vim.api.nvim_buf_get_lines(bufnr, line, line + 1, false)
  local s, e = (lines[1] or ''):find(text, 1, true)
  if not s then
    error('line ' .. line .. ' does not contain ' .. vim.inspect(text) .. ': ' .. vim.inspect(lines[1]))
  end
  return { line = line, character = e }
end

local function json_range(range)
  if type(range) ~= 'table' then
    return vim.NIL
  end
  return {
    start = { line = range.start.line, character = range.start.character },
    ['end'] = { line = range['end'].line, character = range['end'].character },
  }
end

local function workspace_symbols(bufnr, client_id)
  local symbols = request(bufnr, client_id, 'workspace/symbol', { query = SYMBOL_QUERY }) or {}
  local out = {}
  for _, s in ipairs(symbols) do
    -- A SymbolInformation or a WorkspaceSymbol: a Location either way, here; a
    -- WorkspaceSymbol may carry a bare {uri}.
    local location = s.location or {}
    local uri = location.uri
    table.insert(out, {
      name = s.name,
      kind = json_value(s.kind),
      container_name = json_value(s.containerName),
      uri = json_value(uri),
      path = uri and vim.uri_to_fname(uri) or vim.NIL,
      range = json_range(location.range),
    })
  end
  return out
end

-- A CompletionList's or a CompletionItem[]'s items, as recorded in the result.
local function completion_items(response)
  if type(response) ~= 'table' then
    return {}
  end
  local items = response.items
  if items == nil or items == vim.NIL then
    items = response
  end
  local out = {}
  for _, item in ipairs(items) do
    local edit = item.textEdit
    local new_text = vim.NIL
    if type(edit) == 'table' and edit.newText then
      new_text = edit.newText
    end
    table.insert(out, {
      label = item.label,
      kind = json_value(item.kind),
      detail = json_value(item.detail),
      new_text = new_text,
      insert_text = json_value(item.insertText),
    })
  end
  return out
end

-- The completion items at `position`, asking again until there are some or until
-- COMPLETION_RETRY_MS; returns the items, the number of requests and their duration.
local function complete(bufnr, client_id, position)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = position,
    context = { triggerKind = 1 }, -- Invoked
  }
  local started = uv.hrtime()
  local deadline = started + COMPLETION_RETRY_MS * 1e6
  local attempts = 0
  local items = {}
  while true do
    attempts = attempts + 1
    items = completion_items(request(bufnr, client_id, 'textDocument/completion', params))
    check_server()
    if #items > 0 or uv.hrtime() >= deadline then
      break
    end
    vim.wait(RETRY_PAUSE_MS, function()
      return session.server_exited
    end, 20)
  end
  return items, attempts, math.floor((uv.hrtime() - started) / 1e6)
end

local function run()
  local bin = session.server_bin()
  local root_dir = os.getenv('TAGLS_ROOT')
  if not root_dir or root_dir == '' then
    root_dir = vim.fn.getcwd()
  end
  result.root_dir = root_dir

  local bufnr, fname = session.current_file()
  result.file = fname
  local client_id = session.start_client(bufnr, bin, root_dir)
  if not client_id then
    error('could not start the language server ' .. bin)
  end

  -- 1. The server has seen the file (and has been running for a moment).
  local got = vim.wait(DIAGNOSTIC_TIMEOUT_MS, function()
    return #vim.diagnostic.get(bufnr) > 0 or session.server_exited
  end, 50)
  result.diagnostics = common.collect_diagnostics(bufnr)
  local client = common.get_client(client_id)
  if client and client.offset_encoding then
    result.offset_encoding = client.offset_encoding
  end
  check_server()
  if not got then
    error('no diagnostics arrived within ' .. DIAGNOSTIC_TIMEOUT_MS .. ' ms')
  end

  -- 2. Tags of the whole workspace, open or not.
  result.symbols = workspace_symbols(bufnr, client_id)
  check_server()

  -- 3. The tag names, after `#`.
  result.hash_position = position_after(bufnr, HASH_LINE, HASH_TEXT)
  result.hash_items, result.hash_attempts = complete(bufnr, client_id, result.hash_position)

  -- 4. The workspace paths, in a tag's payload.
  result.path_position = position_after(bufnr, PATH_LINE, PATH_TEXT)
  result.path_items, result.path_attempts, result.path_ms =
    complete(bufnr, client_id, result.path_position)
end

session.main(run)
