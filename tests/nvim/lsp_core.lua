-- Drives tagls from a real, headless Neovim (0.7.2 .. 0.11.x) and records what the
-- editor saw, for tests/nvim.rs.
--
--   TAGLS_BIN=/path/to/tagls TAGLS_RESULT=/tmp/result.json \
--     nvim --headless -u NONE -i NONE -n -c "luafile tests/nvim/lsp_core.lua" src/app.ts
--
-- Writes a JSON object to $TAGLS_RESULT:
--   nvim_version     "0.11.4"
--   filetype         the buffer's filetype, which Neovim sends as the languageId
--   offset_encoding  the client's negotiated encoding ("utf-8", "utf-16", ...)
--   diagnostics      [{lnum, col, end_lnum, end_col, message, source, code, severity}]
--                    (as vim.diagnostic reports them: 0-based, col in bytes,
--                    severity 1=ERROR 2=WARN 3=INFO 4=HINT)
--   hover            the hover text at the first `#` of the #COMPLETION_DRIVE line, or null
--   hover_position   the LSP position sent for the hover, {line, character}
--   server_exit_code the server's exit code once Neovim stopped it, or null
--   error            null, or what went wrong
-- and exits 0 on success, 1 on any error. It never waits without a timeout.
-- The workspace root is the file's folder. Shared code: tests/nvim/common.lua.

local NAME = 'lsp_core.lua'
local HERE = debug.getinfo(1, 'S').source:sub(2):match('^(.*)/[^/]*$') or '.'
local loaded, common = pcall(dofile, HERE .. '/common.lua')
if not loaded then
  io.stderr:write(NAME .. ': cannot load common.lua: ' .. tostring(common) .. '\n')
  vim.cmd('cquit 1')
  return
end

local DIAGNOSTIC_TIMEOUT_MS = 10000
local REQUEST_TIMEOUT_MS = 5000
local TAG = '#COMPLETION_DRIVE'

local result = {
  nvim_version = nil,
  filetype = vim.NIL,
  offset_encoding = vim.NIL,
  diagnostics = {},
  hover = vim.NIL,
  hover_position = vim.NIL,
  server_exit_code = vim.NIL,
  error = vim.NIL,
}

local session = common.session(NAME, result)
local json_value = common.json_value
local collect_diagnostics = common.collect_diagnostics

-- Byte column -> LSP character offset in the client's encoding.
local function to_lsp_character(line, byte_col, encoding)
  if byte_col == 0 or encoding == nil or encoding == 'utf-8' then
    return byte_col
  end
  if common.has('nvim-0.11') then
    -- vim.str_utfindex(s, encoding, index): one number.
    return vim.str_utfindex(line, encoding, byte_col)
  end
  -- Old API (0.7 .. 0.10): vim.str_utfindex(s, index) -> utf-32 index, utf-16 index.
  local col32, col16 = vim.str_utfindex(line, byte_col)
  if encoding == 'utf-32' then
    return col32
  end
  return col16
end

-- MarkupContent | MarkedString | MarkedString[] -> string
local function hover_text(contents)
  if contents == nil or contents == vim.NIL then
    return nil
  end
  if type(contents) == 'string' then
    return contents
  end
  if contents.value ~= nil then -- MarkupContent or {language, value}
    return contents.value
  end
  local parts = {}
  for _, item in ipairs(contents) do
    local text = hover_text(item)
    if text then
      table.insert(parts, text)
    end
  end
  return table.concat(parts, '\n')
end

local function run()
  local bin = session.server_bin()
  local bufnr, fname = session.current_file()
  result.filetype = vim.bo[bufnr].filetype
  local root_dir = vim.fn.fnamemodify(fname, ':h')

  local client_id = session.start_client(bufnr, bin, root_dir)
  if not client_id then
    error('could not start the language server ' .. bin)
  end

  local got_diagnostics = vim.wait(DIAGNOSTIC_TIMEOUT_MS, function()
    return #vim.diagnostic.get(bufnr) > 0 or session.server_exited
  end, 50)
  result.diagnostics = collect_diagnostics(bufnr)
  local client = common.get_client(client_id)
  if client and client.offset_encoding then
    result.offset_encoding = client.offset_encoding
  end
  if session.server_exited then
    error('the language server exited early (code ' .. tostring(result.server_exit_code) .. ')')
  end
  if not got_diagnostics then
    error('no diagnostics arrived within ' .. DIAGNOSTIC_TIMEOUT_MS .. ' ms')
  end

  -- Hover at the first `#` of the tag line.
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local tag_line, tag_col = nil, nil
  for i, line in ipairs(lines) do
    local s = string.find(line, TAG, 1, true)
    if s then
      tag_line, tag_col = i - 1, s - 1 -- 0-based line, 0-based byte column
      break
    end
  end
  if not tag_line then
    error('no line containing ' .. TAG .. ' in ' .. fname)
  end
  local encoding = client and client.offset_encoding or 'utf-16'
  local character = to_lsp_character(lines[tag_line + 1], tag_col, encoding)
  result.hover_position = { line = tag_line, character = character }
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = tag_line, character = character },
  }
  local responses, err = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, REQUEST_TIMEOUT_MS)
  if not responses then
    error('hover request failed: ' .. tostring(err))
  end
  local response = responses[client_id]
  if not response then
    error('no hover response from the tagls client')
  end
  local rpc_err = response.err or response.error -- 0.11 calls it err, 0.7 error
  if rpc_err then
    error('hover returned an error: ' .. vim.inspect(rpc_err))
  end
  local text = response.result and response.result ~= vim.NIL and hover_text(response.result.contents)
  result.hover = json_value(text or nil)
  -- Diagnostics may have been refreshed meanwhile; report the latest.
  result.diagnostics = collect_diagnostics(bufnr)
end

session.main(run)
