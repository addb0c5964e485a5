-- tagls for Neovim 0.7.2 and later.
--
--   require('tagls').setup({
--     cmd = { 'tagls' },                -- the server; run without arguments it serves LSP on stdio
--     settings = {},                    -- tagls settings (the keys of .tagls.toml)
--     filetypes = { ... },              -- where to start it (default: see M.defaults)
--     root_markers = { '.git', '.orchestration' },
--   })
--
-- Neovim 0.11+: registers the configuration with vim.lsp.config('tagls', ...) and
-- vim.lsp.enable('tagls'). Older releases (down to 0.7.2): a FileType autocommand starts
-- the client (vim.lsp.start on 0.8+, vim.lsp.start_client + vim.lsp.buf_attach_client
-- on 0.7) and reuses one client per root folder.
--
-- Markdown buffers are attached only when they are the implementation log
-- (.orchestration/implementation-log.md); tagls has nothing to say about other Markdown.

local M = {}

M.name = 'tagls'

-- The implementation log, by the end of its path.
M.log_suffix = '/.orchestration/implementation-log.md'

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
  root_markers = { '.git', '.orchestration' },
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

-- Whether tagls should serve `bufnr`: a file, and for Markdown only the log.
function M.wants(bufnr)
  local file = buffer_file(bufnr)
  if not file then
    return false
  end
  if vim.bo[bufnr].filetype == 'markdown' then
    return file:sub(-#M.log_suffix) == M.log_suffix
  end
  return true
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

return M
