-- Drives tagls from a real, headless Neovim (0.7.2 .. 0.11.x) through the code action
-- that logs a file as created in the implementation log, for tests/nvim.rs.
--
--   TAGLS_BIN=/path/to/tagls TAGLS_RESULT=/tmp/result.json TAGLS_ROOT=/tmp/ws \
--     nvim --headless -u NONE -i NONE -n -c "luafile tests/nvim/lsp_log_action.lua" ws/src/app.ts
--
-- Starts tagls with root_dir $TAGLS_ROOT (default: the current folder), waits for the
-- file's diagnostics, asks for the code actions at 0:0 (empty diagnostics context), picks
-- the one titled `Log #FILE_CREATED ...` and applies it as Neovim's own code-action UI
-- (vim.lsp.buf.code_action) does: its `edit` first, if any, then its `command` through
-- the client (0.11: client:exec_cmd; 0.7: client.commands / vim.lsp.commands, else
-- client.request('workspace/executeCommand', ...)). The log is not open in the editor, so
-- the server writes $TAGLS_ROOT/.orchestration/implementation-log.md on disk itself,
-- right after it answered; the driver waits for the entry to appear there.
--
-- Writes a JSON object to $TAGLS_RESULT:
--   nvim_version     "0.11.4"
--   root_dir         the root_dir given to the client
--   file             the absolute path of the file
--   line_count       the buffer's line count
--   titles           the titles of all the code actions, in the order received
--   action           the chosen code action as received, or null
--   apply_path       how the command went out: "exec_cmd", "client.request" or
--                    "client command" (a client-side handler ran instead)
--   command_response {err, result} of workspace/executeCommand, or null if none came
--   log_path         the absolute path of the implementation log
--   logged           whether the log got the entry within the timeout
--   log_ms           milliseconds from applying the action until then (or the timeout)
--   log_text         the log's text at the end, or null if it does not exist
--   log_buffer       whether the log is loaded in a buffer at the end (must stay false)
--   modified         the source buffer's 'modified' at the end (must stay false)
--   messages         every window/showMessage: [{type, message}] (1=Error .. 4=Log)
--   errors           the window/showMessage errors (type 1) alone: [message]
--   notifications    vim.notify calls at WARN or above: [{level, message}]
--   server_exit_code the server's exit code once Neovim stopped it, or null
--   error            null, or what went wrong
-- and exits 0 when the run got that far (whether or not the entry appeared: tests/nvim.rs
-- judges that), 1 on any error. It never waits without a timeout.

local NAME = 'lsp_log_action.lua'
local HERE = debug.getinfo(1, 'S').source:sub(2):match('^(.*)/[^/]*$') or '.'
local loaded, common = pcall(dofile, HERE .. '/common.lua')
if not loaded then
  io.stderr:write(NAME .. ': cannot load common.lua: ' .. tostring(common) .. '\n')
  vim.cmd('cquit 1')
  return
end

local DIAGNOSTIC_TIMEOUT_MS = 10000
local REQUEST_TIMEOUT_MS = 5000
local LOG_TIMEOUT_MS = 10000
local RESPONSE_TIMEOUT_MS = 5000
local LOG_PATH = '.orchestration/implementation-log.md'
local TITLE_PREFIX = 'Log #FILE_CREATED'
local EXECUTE_COMMAND = 'workspace/executeCommand'

local result = {
  nvim_version = nil,
  root_dir = vim.NIL,
  file = vim.NIL,
  line_count = vim.NIL,
  titles = {},
  action = vim.NIL,
  apply_path = vim.NIL,
  command_response = vim.NIL,
  log_path = vim.NIL,
  logged = false,
  log_ms = vim.NIL,
  log_text = vim.NIL,
  log_buffer = vim.NIL,
  modified = vim.NIL,
  messages = {},
  errors = {},
  notifications = {},
  server_exit_code = vim.NIL,
  error = vim.NIL,
}

local session = common.session(NAME, result)
local json_value = common.json_value
local uv = vim.uv or vim.loop

-- Records every window/showMessage, then lets Neovim's own handler show it. Handlers
-- are looked up in vim.lsp.handlers when a message arrives, in 0.7 and 0.11 alike.
local function watch_messages()
  local original = vim.lsp.handlers['window/showMessage']
  vim.lsp.handlers['window/showMessage'] = function(err, params, ctx, config)
    if type(params) == 'table' then
      table.insert(result.messages, { type = params.type, message = params.message })
      if params.type == 1 then
        table.insert(result.errors, params.message)
      end
    end
    if original then
      pcall(original, err, params, ctx, config)
    end
    return vim.NIL
  end
  -- What Neovim itself complains about (0.11 reports a failed request through
  -- vim.notify; exec_cmd warns there about a command the server does not declare).
  local notify = vim.notify
  vim.notify = function(msg, level, opts)
    if level and level >= vim.log.levels.WARN then
      table.insert(result.notifications, { level = level, message = tostring(msg) })
    end
    return notify(msg, level, opts)
  end
end

local function read_file(path)
  local f = io.open(path, 'rb')
  if not f then
    return nil
  end
  local text = f:read('*a')
  f:close()
  return text
end

-- The code actions tagls offers for the whole first position of `bufnr`.
local function code_actions(bufnr, client_id)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = {
      start = { line = 0, character = 0 },
      ['end'] = { line = 0, character = 0 },
    },
    context = { diagnostics = {} },
  }
  local responses, err =
    vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, REQUEST_TIMEOUT_MS)
  if not responses then
    error('code action request failed: ' .. tostring(err))
  end
  local response = responses[client_id]
  if not response then
    error('no code action response from the tagls client')
  end
  local rpc_err = response.err or response.error -- 0.11 calls it err, 0.7 error
  if rpc_err then
    error('textDocument/codeAction returned an error: ' .. vim.inspect(rpc_err))
  end
  local actions = response.result
  if actions == nil or actions == vim.NIL then
    return {}
  end
  return actions
end

-- Applies `action` as vim.lsp.buf.code_action's apply_action does in this version;
-- `on_response(err, result)` sees the executeCommand response before Neovim's own
-- (default) handler does.
local function apply_action(action, client, bufnr, on_response)
  if action.edit then
    vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  end
  local a_cmd = action.command
  if not a_cmd then
    return
  end
  -- A Command, or a CodeAction whose `command` is one.
  local command = type(a_cmd) == 'table' and a_cmd or action
  local handler = function(err, res, ctx, config)
    on_response(err, res)
    local default = client.handlers and client.handlers[EXECUTE_COMMAND] or vim.lsp.handlers[EXECUTE_COMMAND]
    if default then
      return default(err, res, ctx, config)
    end
  end

  if type(client.exec_cmd) == 'function' then
    -- 0.11+: what the UI calls. It runs a client-side command if there is one, else
    -- sends workspace/executeCommand if the server declared the command (else warns).
    local fn = client.commands[command.command] or vim.lsp.commands[command.command]
    result.apply_path = fn and 'client command' or 'exec_cmd'
    client:exec_cmd(command, { bufnr = bufnr }, handler)
    return
  end

  -- 0.7 (to 0.10): the UI's apply_action does it inline.
  local fn = client.commands[command.command] or vim.lsp.commands[command.command]
  if fn then
    result.apply_path = 'client command'
    fn(command, { bufnr = bufnr, client_id = client.id, method = 'textDocument/codeAction' })
    return
  end
  result.apply_path = 'client.request'
  local params = {
    command = command.command,
    arguments = command.arguments,
    workDoneToken = command.workDoneToken,
  }
  local ok = client.request(EXECUTE_COMMAND, params, handler, bufnr)
  if not ok then
    error('could not send ' .. EXECUTE_COMMAND)
  end
end

local function run()
  local bin = session.server_bin()
  local root_dir = os.getenv('TAGLS_ROOT')
  if not root_dir or root_dir == '' then
    root_dir = vim.fn.getcwd()
  end
  result.root_dir = root_dir
  local log_path = root_dir .. '/' .. LOG_PATH
  result.log_path = log_path
  if vim.fn.filereadable(log_path) == 1 then
    error(log_path .. ' exists before the test')
  end

  watch_messages()
  local bufnr, fname = session.current_file()
  result.file = fname
  if fname:sub(1, #root_dir + 1) ~= root_dir .. '/' then
    error(fname .. ' is not inside the root ' .. root_dir)
  end
  result.line_count = vim.api.nvim_buf_line_count(bufnr)
  local client_id = session.start_client(bufnr, bin, root_dir)
  if not client_id then
    error('could not start the language server ' .. bin)
  end

  -- 1. The server has the file: its diagnostics arrived.
  local got_diagnostics = vim.wait(DIAGNOSTIC_TIMEOUT_MS, function()
    return #vim.diagnostic.get(bufnr) > 0 or session.server_exited
  end, 50)
  if session.server_exited then
    error('the language server exited early (code ' .. tostring(result.server_exit_code) .. ')')
  end
  if not got_diagnostics then
    error('no diagnostics arrived within ' .. DIAGNOSTIC_TIMEOUT_MS .. ' ms')
  end
  local client = common.get_client(client_id)
  if not client then
    error('the tagls client is gone')
  end

  -- 2. The code actions, and the one to apply.
  local chosen
  for _, action in ipairs(code_actions(bufnr, client_id)) do
    local title = action.title or ''
    table.insert(result.titles, title)
    if not chosen and title:sub(1, #TITLE_PREFIX) == TITLE_PREFIX then
      chosen = action
    end
  end
  if not chosen then
    error('no code action titled ' .. TITLE_PREFIX .. '...: ' .. vim.inspect(result.titles))
  end
  result.action = chosen

  -- 3. Apply it, as the code-action UI does.
  local response
  local applied_at = uv.hrtime()
  apply_action(chosen, client, bufnr, function(err, res)
    response = { err = json_value(err), result = json_value(res) }
  end)

  -- 4. The entry appears on disk, written by the server.
  local wanted = '#FILE_CREATED: ' .. fname:sub(#root_dir + 2)
  local function has_entry()
    local text = read_file(log_path)
    return text ~= nil and text:find(wanted, 1, true) ~= nil
  end
  -- A showMessage error means the command gave up: no need to wait any longer.
  vim.wait(LOG_TIMEOUT_MS, function()
    return has_entry() or #result.errors > 0 or session.server_exited
  end, 50)
  result.logged = has_entry()
  result.log_ms = math.floor((uv.hrtime() - applied_at) / 1e6)
  -- The response came back before the write; give it a bounded wait if it did not.
  if result.apply_path ~= 'client command' then
    vim.wait(RESPONSE_TIMEOUT_MS, function()
      return response ~= nil or session.server_exited
    end, 20)
  end
  result.command_response = json_value(response)
  result.log_text = json_value(read_file(log_path))
  result.log_buffer = vim.fn.bufloaded(log_path) == 1
  result.modified = vim.bo[bufnr].modified
  if session.server_exited then
    error('the language server exited early (code ' .. tostring(result.server_exit_code) .. ')')
  end
end

session.main(run)
