-- tagls for Neovim 0.7.2 and later.
--
--   require('tagls').setup({
--     cmd = { 'tagls' },                -- the server; run without arguments it serves LSP on stdio
--     settings = {},                    -- tagls settings (the keys of .tagls.toml)
--     filetypes = { ... },              -- where to start it (default: see M.defaults)
--     root_markers = { '.git', '.orchestration', '.tagls.toml' },
--   })
--
-- Neovim 0.11+: registers the configuration with vim.lsp.config('tagls', ...) and
-- vim.lsp.enable('tagls'). Older releases (down to 0.7.2): a FileType autocommand starts
-- the client (vim.lsp.start on 0.8+, vim.lsp.start_client + vim.lsp.buf_attach_client
-- on 0.7) and reuses one client per root folder.
--
-- Every Markdown file is attached: the implementation log can be anywhere (the `log`
-- setting, from .tagls.toml or `settings`, says where), and only the server knows which
-- file it is; it stays silent on other Markdown. M.open_log() (:TaglsOpenLog) asks the
-- server where the log is and opens it.

local M = {}

M.name = 'tagls'

M.defaults = {
  cmd = { 'tagls' },
  filetypes = {
    'typescript',
    'typescriptreact',
    'javascript',
    'javascriptreact',
    'go',
    'python',
    'markdown',
  },
  root_markers = { '.git', '.orchestration', '.tagls.toml' },
  settings = {},
}

-- The semantic token types of tagls's legend (docs/TAGS.md) and the groups they link to
-- by default. Linked with `default = true`, so a colour scheme's own definitions win.
M.token_links = {
  tagAssumption = 'DiagnosticInfo',
  tagPattern = 'DiagnosticWarn',
  tagSuggestion = 'DiagnosticHint',
  tagDecision = 'Special',
  tagClaim = 'Title',
  tagVerdict = 'Todo',
  tagUnknown = 'WarningMsg',
  tagField = 'Label',
}

-- What setup() was last called with, merged with the defaults (nil before setup()).
M.config = nil

local uv = vim.uv or vim.loop

local function has(feature)
  return vim.fn.has(feature) == 1
end

local function path_exists(path)
  return uv.fs_stat(path) ~= nil
end

local function dirname(path)
  return vim.fn.fnamemodify(path, ':h')
end

-- The buffer's file, absolute, or nil for buffers that are not files.
local function buffer_file(bufnr)
  if vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or name:match('^%a[%w+.-]*://') then
    return nil
  end
  return vim.fn.fnamemodify(name, ':p')
end

-- The nearest folder above `file` that holds one of `markers`, else the file's folder.
function M.find_root(file, markers)
  markers = markers or M.defaults.root_markers
  local dir = dirname(file)
  local start = dir
  while true do
    for _, marker in ipairs(markers) do
      if path_exists(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = dirname(dir)
    if parent == dir then
      return start
    end
    dir = parent
  end
end

-- Whether tagls should serve `bufnr`: any file (of the configured filetypes). Which
-- Markdown file is the log is the server's to say.
function M.wants(bufnr)
  return buffer_file(bufnr) ~= nil
end

-- The root folder for `bufnr`, or nil when tagls should not serve it.
function M.root_dir(bufnr)
  if not M.wants(bufnr) then
    return nil
  end
  local markers = (M.config and M.config.root_markers) or M.defaults.root_markers
  return M.find_root(buffer_file(bufnr), markers)
end

-- Links the semantic token groups (Neovim 0.9+ has semantic tokens; 0.7 and 0.8 do not,
-- and reject `@` in group names).
function M.set_highlights()
  if not has('nvim-0.9') then
    return
  end
  for token, group in pairs(M.token_links) do
    vim.api.nvim_set_hl(0, '@lsp.type.' .. token, { link = group, default = true })
  end
end

-- Options of setup() that go to the client configuration as they are.
local PASSTHROUGH = {
  'on_attach',
  'on_init',
  'on_exit',
  'capabilities',
  'handlers',
  'flags',
  'cmd_env',
  'before_init',
}

-- The client configuration (without root_dir) for the current M.config.
local function client_config()
  local cfg = M.config
  local settings = cfg.settings or {}
  -- Lua has one empty table for `{}` and `[]`, and Neovim sends it as `[]`: no settings
  -- go as no initializationOptions, and as an explicit empty object for `tagls`.
  local empty = next(settings) == nil
  local out = {
    name = M.name,
    cmd = cfg.cmd,
    -- The server reads initializationOptions first, then workspace/configuration
    -- section `tagls` (answered from `settings`).
    init_options = (not empty) and settings or nil,
    settings = { tagls = empty and vim.empty_dict() or settings },
  }
  for _, key in ipairs(PASSTHROUGH) do
    if cfg[key] ~= nil then
      out[key] = cfg[key]
    end
  end
  return out
end

-- 0.11+: vim.lsp.config + vim.lsp.enable.
local function setup_lsp_config()
  local config = client_config()
  config.name = nil
  config.filetypes = M.config.filetypes
  config.root_dir = function(bufnr, on_dir)
    local root = M.root_dir(bufnr)
    if root then
      on_dir(root)
    end
  end
  vim.lsp.config(M.name, config)
  vim.lsp.enable(M.name)
end

-- 0.7 .. 0.10: one client per root, started or reused from a FileType autocommand.
local clients_by_root = {}

local function client_alive(id)
  local client = id and vim.lsp.get_client_by_id(id)
  return client ~= nil and not (client.is_stopped and client.is_stopped())
end

function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local root = M.root_dir(bufnr)
  if not root then
    return nil
  end
  local config = client_config()
  config.root_dir = root
  config.workspace_folders = {
    { uri = vim.uri_from_fname(root), name = root },
  }
  if vim.lsp.start then
    -- 0.8+: reuses a running client with the same name and root_dir.
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = clients_by_root[root]
  if not client_alive(id) then
    local on_exit = config.on_exit
    config.on_exit = function(...)
      if clients_by_root[root] == id then
        clients_by_root[root] = nil
      end
      if on_exit then
        return on_exit(...)
      end
    end
    id = vim.lsp.start_client(config)
    if not id then
      return nil
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

local function setup_autocmd()
  local group = vim.api.nvim_create_augroup('tagls', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.config.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  -- Buffers that are already open.
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype) then
      M.attach(bufnr)
    end
  end
end

function M.setup(opts)
  opts = opts or {}
  vim.validate({
    cmd = { opts.cmd, 'table', true },
    settings = { opts.settings, 'table', true },
    filetypes = { opts.filetypes, 'table', true },
    root_markers = { opts.root_markers, 'table', true },
  })
  M.config = vim.tbl_extend('force', vim.deepcopy(M.defaults), opts)

  M.set_highlights()
  local hl_group = vim.api.nvim_create_augroup('tagls.highlights', { clear = true })
  vim.api.nvim_create_autocmd('ColorScheme', {
    group = hl_group,
    callback = M.set_highlights,
  })

  if has('nvim-0.11') and vim.lsp.config and vim.lsp.enable then
    setup_lsp_config()
  else
    setup_autocmd()
  end

  vim.api.nvim_create_user_command('TaglsOpenLog', function()
    M.open_log()
  end, { nargs = 0, desc = 'Open the implementation log of the current tagls workspace' })
end

-- The tagls clients that are running (every Neovim release since 0.7).
function M.clients()
  local all
  if vim.lsp.get_clients then
    all = vim.lsp.get_clients({ name = M.name })
  else
    all = vim.lsp.get_active_clients()
  end
  local out = {}
  for _, client in ipairs(all) do
    if client.name == M.name then
      table.insert(out, client)
    end
  end
  return out
end

-- A request to a client, on every release since 0.7 (0.11 deprecates `client.request`
-- in favour of `client:request`).
local function client_request(client, method, params, handler, bufnr)
  if has('nvim-0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

-- The tagls client attached to `bufnr`, else the first one running, else nil.
local function client_for(bufnr)
  local clients = M.clients()
  for _, client in ipairs(clients) do
    if vim.lsp.buf_is_attached(bufnr, client.id) then
      return client
    end
  end
  return clients[1]
end

-- Asks the server where the implementation log is: of the root that holds `bufnr`'s
-- file, else of its first root. Calls on_path(path) with the absolute path (the log
-- need not exist), or on_path(nil, why) when there is none.
function M.log_path(bufnr, on_path)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client = client_for(bufnr)
  if not client then
    on_path(nil, 'no tagls client is running; open a file of the project first')
    return
  end
  local file = buffer_file(bufnr)
  local params = {
    command = 'tagls.logPath',
    arguments = { file and { file = file } or vim.empty_dict() },
  }
  client_request(client, 'workspace/executeCommand', params, function(err, result)
    vim.schedule(function()
      if err then
        on_path(nil, 'the server could not say where the log is: ' .. tostring(err.message or err))
      elseif type(result) ~= 'table' or type(result.path) ~= 'string' then
        on_path(nil, 'the server has no workspace root, so no implementation log')
      else
        on_path(result.path)
      end
    end)
  end, bufnr)
end

-- Opens the implementation log (:TaglsOpenLog). Creates nothing: a log that does not
-- exist yet opens as a new buffer, written by :write.
function M.open_log()
  M.log_path(0, function(path, why)
    if not path then
      vim.notify('tagls: ' .. why, vim.log.levels.WARN)
      return
    end
    local ok, err = pcall(vim.cmd, 'edit ' .. vim.fn.fnameescape(path))
    if not ok then
      vim.notify('tagls: cannot open ' .. path .. ': ' .. tostring(err), vim.log.levels.ERROR)
    elseif not path_exists(path) then
      vim.notify('tagls: ' .. path .. ' does not exist yet; :write creates it', vim.log.levels.INFO)
    end
  end)
end

return M
