-- Drives tagls from a real, headless Neovim (0.7.2 .. 0.11.x) and records what the
-- editor saw, for tests/nvim.rs.
--
--   TAGLS_BIN=/path/to/tagls TAGLS_RESULT=/tmp/result.json \
--     nvim --headless -u NONE -i NONE -n -c "luafile tests/nvim/lsp_core.lua" src/app.ts
--
-- Writes a JSON object to $TAGLS_RESULT:
--   nvim_version     "0.11.4"
--   offset_encoding  the client's negotiated encoding ("utf-8", "utf-16", ...)
--   diagnostics      [{lnum, col, end_lnum, end_col, message, source, code, severity}]
--                    (as vim.diagnostic reports them: 0-based, col in bytes,
--                    severity 1=ERROR 2=WARN 3=INFO 4=HINT)
--   hover            the hover text at the first `#` of the #COMPLETION_DRIVE line, or null
--   hover_position   the LSP position sent for the hover, {line, character}
--   server_exit_code the server's exit code once Neovim stopped it, or null
--   error            null, or what went wrong
-- and exits 0 on success, 1 on any error. It never waits without a timeout.

local DIAGNOSTIC_TIMEOUT_MS = 10000
local REQUEST_TIMEOUT_MS = 5000
local STOP_TIMEOUT_MS = 3000
local TAG = '#COMPLETION_DRIVE'

local result = {
  nvim_version = nil,
  offset_encoding = vim.NIL,
  diagnostics = {},
  hover = vim.NIL,
  hover_position = vim.NIL,
  server_exit_code = vim.NIL,
  error = vim.NIL,
}

local function log(msg)
  io.stderr:write('lsp_core.lua: ' .. msg .. '\n')
end

local function nvim_version()
  local v = vim.version()
  return string.format('%d.%d.%d', v.major, v.minor, v.patch)
end
result.nvim_version = nvim_version()

local function has(feature)
  return vim.fn.has(feature) == 1
end

local function get_client(id)
  if vim.lsp.get_client_by_id then
    return vim.lsp.get_client_by_id(id)
  end
  return nil
end

-- Byte column -> LSP character offset in the client's encoding.
local function to_lsp_character(line, byte_col, encoding)
  if byte_col == 0 or encoding == nil or encoding == 'utf-8' then
    return byte_col
  end
  if has('nvim-0.11') then
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

local function json_value(v)
  if v == nil then
    return vim.NIL
  end
  return v
end

local function collect_diagnostics(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local code = d.code
    if code == nil and d.user_data and d.user_data.lsp then
      code = d.user_data.lsp.code
    end
    table.insert(out, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = json_value(d.end_lnum),
      end_col = json_value(d.end_col),
      message = d.message,
      source = json_value(d.source),
      code = json_value(code),
      severity = d.severity,
    })
  end
  return out
end

local function write_result()
  local path = os.getenv('TAGLS_RESULT')
  if not path or path == '' then
    log('TAGLS_RESULT is not set; result: ' .. vim.fn.json_encode(result))
    return
  end
  local encoded = vim.fn.json_encode(result)
  local f = assert(io.open(path, 'w'))
  f:write(encoded)
  f:close()
end

local client_id = nil
local server_exited = false

local function start_client(bufnr, bin, root_dir)
  local config = {
    name = 'tagls',
    cmd = { bin, '--stdio' },
    root_dir = root_dir,
    on_exit = function(code, _signal)
      server_exited = true
      result.server_exit_code = code
    end,
  }
  if vim.lsp.start then
    -- 0.8+: starts the client and attaches it to the buffer.
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  -- 0.7: no vim.lsp.start.
  local id = vim.lsp.start_client(config)
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

local function run()
  local bin = os.getenv('TAGLS_BIN')
  if not bin or bin == '' then
    error('TAGLS_BIN is not set')
  end
  if vim.fn.executable(bin) ~= 1 then
    error('TAGLS_BIN is not executable: ' .. bin)
  end

  local bufnr = vim.api.nvim_get_current_buf()
  local fname = vim.api.nvim_buf_get_name(bufnr)
  if fname == '' then
    error('no file given: run as nvim ... -c "luafile lsp_core.lua" FILE')
  end
  fname = vim.fn.fnamemodify(fname, ':p')
  -- -u NONE turns filetype detection off; the filetype becomes the languageId.
  if vim.bo[bufnr].filetype == '' then
    vim.bo[bufnr].filetype = 'typescript'
  end
  local root_dir = vim.fn.fnamemodify(fname, ':h')

  client_id = start_client(bufnr, bin, root_dir)
  if not client_id then
    error('could not start the language server ' .. bin)
  end

  local got_diagnostics = vim.wait(DIAGNOSTIC_TIMEOUT_MS, function()
    return #vim.diagnostic.get(bufnr) > 0 or server_exited
  end, 50)
  result.diagnostics = collect_diagnostics(bufnr)
  local client = get_client(client_id)
  if client and client.offset_encoding then
    result.offset_encoding = client.offset_encoding
  end
  if server_exited then
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

-- Stops the client (shutdown + exit) and waits, bounded, for the server to go.
local function stop_client()
  if not client_id then
    return
  end
  local client = get_client(client_id)
  if not client then
    return
  end
  -- vim.lsp.stop_client exists in 0.7 and 0.11 (client.stop became a method).
  pcall(vim.lsp.stop_client, client_id)
  vim.wait(STOP_TIMEOUT_MS, function()
    return server_exited
  end, 50)
  if not server_exited then
    log('the server did not exit within ' .. STOP_TIMEOUT_MS .. ' ms of shutdown; killing it')
    pcall(vim.lsp.stop_client, client_id, true)
    vim.wait(1000, function()
      return server_exited
    end, 50)
  end
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  result.error = tostring(err)
  log(result.error)
end
pcall(stop_client)

local wrote, write_err = pcall(write_result)
if not wrote then
  log('could not write the result: ' .. tostring(write_err))
  ok = false
end

if ok then
  vim.cmd('qa!')
else
  vim.cmd('cquit 1')
end
