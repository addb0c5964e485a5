-- Drives the shipped Neovim plugin (editors/neovim) as its README says to use it, for
-- tests/nvim.rs: `require('tagls').setup({})` with `tagls` found on PATH, in a workspace
-- whose .tagls.toml moves the implementation log (`log = "docs/impl-log.md"`).
--
--   PATH=/dir/of/tagls:$PATH TAGLS_RESULT=/tmp/result.json TAGLS_ROOT=/tmp/ws \
--     nvim --headless -u NONE -i NONE -n -c "luafile tests/nvim/plugin_settings_log.lua" ws/src/app.ts
--
-- Filetype detection is on, as in a user's Neovim; the file on the command line was
-- loaded before it, so its filetype is detected here, which starts the client. Checks:
--   - setup({}) shows the user nothing: no window/showMessage from the server and no
--     vim.notify at WARN or above, once the server has had every settings message
--     (initializationOptions, didChangeConfiguration on 0.11, and its
--     workspace/configuration request answered);
--   - :TaglsOpenLog opens the log where the server says it is (docs/impl-log.md), and
--     the client attaches to it; another Markdown file is attached too.
--
-- Writes a JSON object to $TAGLS_RESULT:
--   nvim_version, client_count, root_dir, init_options (as the client holds them, JSON),
--   settings (JSON), configuration_answered (what Neovim answered to
--   workspace/configuration, JSON), diagnostics (as in common.lua), shown
--   ([{type, message}] from window/showMessage), notified ([{level, message}] at WARN or
--   above), opened (the buffer :TaglsOpenLog left current), log_clients,
--   log_same_client, readme_clients, error.
-- Exits 0 when the run got to the end, 1 on any error. Never waits without a timeout.

local NAME = 'plugin_settings_log.lua'
local HERE = debug.getinfo(1, 'S').source:sub(2):match('^(.*)/[^/]*$') or '.'
local loaded, common = pcall(dofile, HERE .. '/common.lua')
if not loaded then
  io.stderr:write(NAME .. ': cannot load common.lua: ' .. tostring(common) .. '\n')
  vim.cmd('cquit 1')
  return
end

local WAIT_MS = 10000
local REQUEST_TIMEOUT_MS = 5000
local STOP_TIMEOUT_MS = 3000

local result = {
  nvim_version = nil,
  client_count = vim.NIL,
  root_dir = vim.NIL,
  init_options = vim.NIL,
  settings = vim.NIL,
  configuration_answered = vim.NIL,
  diagnostics = {},
  shown = {},
  notified = {},
  opened = vim.NIL,
  log_clients = vim.NIL,
  log_same_client = vim.NIL,
  readme_clients = vim.NIL,
  error = vim.NIL,
}

local session = common.session(NAME, result)
local json_value = common.json_value

local function encode(value)
  if value == nil then
    return vim.NIL
  end
  return vim.json.encode(value)
end

-- What the server shows the user, and what anything notifies at WARN or above.
local function record_messages()
  local show = vim.lsp.handlers['window/showMessage']
  vim.lsp.handlers['window/showMessage'] = function(err, params, ctx, config)
    table.insert(result.shown, { type = params.type, message = params.message })
    return show(err, params, ctx, config)
  end
  local configuration = vim.lsp.handlers['workspace/configuration']
  vim.lsp.handlers['workspace/configuration'] = function(err, params, ctx, config)
    local answer = configuration(err, params, ctx, config)
    result.configuration_answered = encode(answer)
    return answer
  end
  local notify = vim.notify
  vim.notify = function(msg, level, opts)
    if level and level >= vim.log.levels.WARN then
      table.insert(result.notified, { level = level, message = tostring(msg) })
    end
    return notify(msg, level, opts)
  end
end

local function buffer_clients(bufnr)
  local out = {}
  for _, client in ipairs(require('tagls').clients()) do
    if vim.lsp.buf_is_attached(bufnr, client.id) then
      table.insert(out, client)
    end
  end
  return out
end

local function wait_client(bufnr, what)
  local clients = {}
  vim.wait(WAIT_MS, function()
    clients = buffer_clients(bufnr)
    return #clients > 0
  end, 50)
  if #clients == 0 then
    error('no tagls client attached to ' .. what .. ' within ' .. WAIT_MS .. ' ms')
  end
  return clients[1]
end

local function stop_all()
  local tagls = require('tagls')
  for _, client in ipairs(tagls.clients()) do
    pcall(vim.lsp.stop_client, client.id)
  end
  vim.wait(STOP_TIMEOUT_MS, function()
    return #tagls.clients() == 0
  end, 50)
end

local function run()
  vim.o.hidden = true
  local root = os.getenv('TAGLS_ROOT')
  if not root or root == '' then
    error('TAGLS_ROOT is not set')
  end
  if vim.fn.executable('tagls') ~= 1 then
    error('tagls is not on PATH')
  end

  -- 1. The plugin, as its README says: setup({}) and nothing else.
  local plugin = vim.fn.fnamemodify(HERE .. '/../../editors/neovim', ':p'):gsub('/$', '')
  vim.opt.runtimepath:prepend(plugin)
  record_messages()
  local tagls = require('tagls')
  tagls.setup({})
  vim.cmd('filetype on')

  -- 2. The file given on the command line: its filetype starts the client.
  local bufnr = vim.api.nvim_get_current_buf()
  vim.cmd('filetype detect')
  if vim.bo[bufnr].filetype ~= 'typescript' then
    error('filetype of ' .. vim.api.nvim_buf_get_name(bufnr) .. ': ' .. vim.bo[bufnr].filetype)
  end
  local client = wait_client(bufnr, 'src/app.ts')
  result.root_dir = json_value(client.config.root_dir)
  result.init_options = encode(client.config.init_options)
  result.settings = encode(client.config.settings)

  -- 3. Every settings message reaches the server before the first diagnostics, except
  -- the answer to workspace/configuration (which the server asks only of a client that
  -- says it answers it: 0.11, not 0.7): wait for that too, then for one more round trip,
  -- which the server answers after taking the settings.
  local capabilities = client.config.capabilities or {}
  local asked = capabilities.workspace and capabilities.workspace.configuration == true
  local got = vim.wait(WAIT_MS, function()
    return #common.collect_diagnostics(bufnr) > 0
      and (not asked or result.configuration_answered ~= vim.NIL)
  end, 50)
  if not got then
    error('no diagnostics, or no workspace/configuration request, within ' .. WAIT_MS .. ' ms')
  end
  local responses = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = 0, character = 4 },
  }, REQUEST_TIMEOUT_MS)
  if not responses or not responses[client.id] then
    error('no hover answer')
  end
  result.diagnostics = common.collect_diagnostics(bufnr)

  -- 4. :TaglsOpenLog opens the log the server names, and the client attaches to it.
  vim.cmd('TaglsOpenLog')
  local log_file = root .. '/docs/impl-log.md'
  vim.wait(WAIT_MS, function()
    return vim.api.nvim_buf_get_name(0) == log_file
  end, 50)
  result.opened = vim.api.nvim_buf_get_name(0)
  if result.opened ~= log_file then
    error(':TaglsOpenLog opened ' .. result.opened .. ', not ' .. log_file)
  end
  local log = vim.api.nvim_get_current_buf()
  local log_client = wait_client(log, 'docs/impl-log.md')
  result.log_clients = #buffer_clients(log)
  result.log_same_client = log_client.id == client.id

  -- 5. Another Markdown file: attached as well (the server says nothing about it).
  vim.cmd('edit ' .. vim.fn.fnameescape(root .. '/README.md'))
  wait_client(vim.api.nvim_get_current_buf(), 'README.md')
  result.readme_clients = #buffer_clients(vim.api.nvim_get_current_buf())
  result.client_count = #tagls.clients()
end

session.main(function()
  local ok, err = xpcall(run, debug.traceback)
  stop_all()
  if not ok then
    error(err, 0)
  end
end)
