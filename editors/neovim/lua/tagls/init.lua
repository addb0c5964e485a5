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
--
-- On attach: 'omnifunc' is set to LSP completion when the buffer has none (so <C-x><C-o>
-- completes tag names after `#` on every release), and code lenses are asked for on
-- attach, BufEnter, InsertLeave and whenever the server sends workspace/codeLens/refresh
-- (the plugin answers that request itself: Neovim 0.7 .. 0.11 do not).
--
-- The whole project, in the quickfix list, from the server's `tagls.gate` command (the
-- answer `tagls check` gives): :TaglsGate (M.gate()) lists the gate's findings, blocking
-- first, with the verdict in the list's title; :TaglsTags (M.tags()) lists every tag, by
-- family and file.

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
    'swift',
    'rust',
    'java',
    'kotlin',
    'cs',
    'c',
    'cpp',
    'ruby',
    'php',
    'sh',
    'bash',
    'zsh',
    'css',
    'scss',
    'less',
    'lua',
    'yaml',
    'toml',
    'html',
    'vue',
    'svelte',
    'markdown',
    'json',
  },
  root_markers = { '.git', '.orchestration', '.tagls.toml' },
  settings = {},
}

-- The semantic token types of tagls's legend (docs/TAGS.md) and the groups they link to
-- by default. Linked with `default = true`, so a colour scheme's own definitions win.
M.token_links = {
  tagAssumption = 'DiagnosticInfo',
  -- Patterns are hints for the reviewer (their diagnostics are hints), not warnings.
  tagPattern = 'DiagnosticHint',
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

-- Options of setup() that go to the client configuration as they are (on_attach,
-- capabilities and handlers are merged with the plugin's own, below).
local PASSTHROUGH = {
  'on_init',
  'on_exit',
  'flags',
  'cmd_env',
  'before_init',
}

-- Asks for the code lenses of `bufnr` again (0.10+ takes the buffer; 0.7 .. 0.9 refresh
-- the current one).
function M.refresh_lenses(bufnr)
  if not (bufnr and vim.api.nvim_buf_is_valid(bufnr) and vim.api.nvim_buf_is_loaded(bufnr)) then
    return
  end
  if has('nvim-0.10') then
    vim.lsp.codelens.refresh({ bufnr = bufnr })
  else
    vim.api.nvim_buf_call(bufnr, function()
      vim.lsp.codelens.refresh()
    end)
  end
end

-- The buffers a client is attached to.
local function client_buffers(client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  local out = {}
  if client and type(client.attached_buffers) == 'table' then
    for bufnr, attached in pairs(client.attached_buffers) do
      if attached then
        table.insert(out, bufnr)
      end
    end
  elseif vim.lsp.get_buffers_by_client_id then
    out = vim.lsp.get_buffers_by_client_id(client_id)
  end
  return out
end

-- The server asks for the lenses again (they changed with an edit or on disk).
local function on_lens_refresh(_, _, ctx)
  for _, bufnr in ipairs(client_buffers(ctx.client_id)) do
    M.refresh_lenses(bufnr)
  end
  return vim.NIL
end

-- What the plugin does for every buffer tagls attaches to, before the user's on_attach.
local function on_attach(client, bufnr)
  if vim.bo[bufnr].omnifunc == '' then
    vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
  end
  local group = vim.api.nvim_create_augroup('tagls.lenses.' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      M.refresh_lenses(bufnr)
    end,
  })
  M.refresh_lenses(bufnr)
  local user = M.config and M.config.on_attach
  if user then
    return user(client, bufnr)
  end
end

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
    on_attach = on_attach,
    -- The plugin answers workspace/codeLens/refresh, so the server may send it.
    capabilities = vim.tbl_deep_extend(
      'force',
      cfg.capabilities or vim.lsp.protocol.make_client_capabilities(),
      { workspace = { codeLens = { refreshSupport = true } } }
    ),
    handlers = vim.tbl_extend('force', { ['workspace/codeLens/refresh'] = on_lens_refresh }, cfg.handlers or {}),
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
  vim.api.nvim_create_user_command('TaglsGate', function()
    M.gate()
  end, { nargs = 0, desc = "The gate's findings for the current tagls workspace, in the quickfix list" })
  vim.api.nvim_create_user_command('TaglsTags', function()
    M.tags()
  end, { nargs = 0, desc = 'Every tag of the current tagls workspace, by family and file, in the quickfix list' })
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

-- Runs one of the server's query commands (`tagls.logPath`, `tagls.gate`) for the root
-- that holds `bufnr`'s file. Calls on_result(result, client) on the main loop, or
-- on_result(nil, nil, why) when there is no client or the server could not `what`.
local function ask(bufnr, command, what, on_result)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client = client_for(bufnr)
  if not client then
    on_result(nil, nil, 'no tagls client is running; open a file of the project first')
    return
  end
  local file = buffer_file(bufnr)
  local params = {
    command = command,
    arguments = { file and { file = file } or vim.empty_dict() },
  }
  client_request(client, 'workspace/executeCommand', params, function(err, result)
    vim.schedule(function()
      if err then
        on_result(nil, nil, 'the server could not ' .. what .. ': ' .. tostring(err.message or err))
      else
        on_result(result, client)
      end
    end)
  end, bufnr)
end

-- Asks the server where the implementation log is: of the root that holds `bufnr`'s
-- file, else of its first root. Calls on_path(path) with the absolute path (the log
-- need not exist), or on_path(nil, why) when there is none.
function M.log_path(bufnr, on_path)
  ask(bufnr, 'tagls.logPath', 'say where the log is', function(result, _, why)
    if why then
      on_path(nil, why)
    elseif type(result) ~= 'table' or type(result.path) ~= 'string' then
      on_path(nil, 'the server has no workspace root, so no implementation log')
    else
      on_path(result.path)
    end
  end)
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

-- The whole project: the server's `tagls.gate` answer (docs/ARCHITECTURE.md, "The
-- whole-project view"), for the root of `bufnr`'s file. Calls on_answer(roots, nil,
-- encoding) with the answer's `roots` and the client's position encoding, or
-- on_answer(nil, why).
function M.project(bufnr, on_answer)
  ask(bufnr, 'tagls.gate', 'check the project', function(result, client, why)
    if why then
      on_answer(nil, why)
    elseif type(result) ~= 'table' or type(result.roots) ~= 'table' or #result.roots == 0 then
      on_answer(nil, 'the server has no workspace root to check')
    else
      on_answer(result.roots, nil, client.offset_encoding or 'utf-16')
    end
  end)
end

-- The lines of files, read once each: from the buffer when it is loaded, else from disk.
local function line_reader()
  local files = {}
  return function(path, line)
    local lines = files[path]
    if lines == nil then
      local bufnr = vim.fn.bufnr(path)
      if bufnr > 0 and vim.api.nvim_buf_is_loaded(bufnr) then
        lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
      else
        local ok, read = pcall(vim.fn.readfile, path)
        lines = ok and read or {}
      end
      files[path] = lines
    end
    return lines[line + 1]
  end
end

-- An LSP position's column (in the client's encoding) as a byte column.
local function byte_col(text, character, encoding)
  if character == 0 or encoding == 'utf-8' or text == nil then
    return character
  end
  local ok, col
  if has('nvim-0.11') then
    ok, col = pcall(vim.str_byteindex, text, encoding, character, false)
  else
    ok, col = pcall(vim.str_byteindex, text, character, encoding == 'utf-16')
  end
  return ok and col or #text
end

-- A quickfix item at an answer's `uri` and `range`.
local function qf_item(entry, text, typ, read_line, encoding)
  local path = vim.uri_to_fname(entry.uri)
  local s, e = entry.range.start, entry.range['end']
  return {
    filename = path,
    lnum = s.line + 1,
    col = byte_col(read_line(path, s.line), s.character, encoding) + 1,
    end_lnum = e.line + 1,
    end_col = byte_col(read_line(path, e.line), e.character, encoding) + 1,
    text = text,
    type = typ,
  }
end

-- The verdict of each root, as the list's title says it.
local function verdicts(roots)
  local parts = {}
  for _, root in ipairs(roots) do
    local part = root.verdict
    if type(root.reason) == 'string' and root.reason ~= '' then
      part = part .. ' (' .. root.reason .. ')'
    end
    if #roots > 1 and type(root.root) == 'string' then
      part = vim.fn.fnamemodify(vim.uri_to_fname(root.root), ':t') .. ': ' .. part
    end
    table.insert(parts, part)
  end
  return table.concat(parts, '; ')
end

local QF_TYPE = { error = 'E', warning = 'W', information = 'I', info = 'I', hint = 'N' }

-- The quickfix items of the gate's findings: blocking first, then conditional, then the
-- rest, each in the server's order, the gate's effect in front of the message.
function M.gate_items(roots, encoding)
  local read_line = line_reader()
  local rank = { BLOCKED = 1, CONDITIONAL = 2 }
  local ranked = {}
  for _, root in ipairs(roots) do
    for _, f in ipairs(root.findings or {}) do
      local gate = type(f.gate) == 'string' and f.gate or nil
      local text = (gate and ('[' .. gate .. '] ') or '') .. f.code .. ': ' .. f.message
      local item = qf_item(f, text, QF_TYPE[f.severity] or 'I', read_line, encoding)
      table.insert(ranked, { rank = rank[gate] or 3, n = #ranked, item = item })
    end
  end
  table.sort(ranked, function(a, b)
    if a.rank ~= b.rank then
      return a.rank < b.rank
    end
    return a.n < b.n
  end)
  local items = {}
  for _, r in ipairs(ranked) do
    table.insert(items, r.item)
  end
  return items
end

-- The quickfix items of every tag: by family (a tag the registry does not know last),
-- then file, then line.
function M.tag_items(roots, encoding)
  local read_line = line_reader()
  local all = {}
  for _, root in ipairs(roots) do
    for _, t in ipairs(root.tags or {}) do
      local family = type(t.family) == 'string' and t.family or 'unknown'
      local text = family .. ': #' .. t.tag .. (t.payload ~= '' and (': ' .. t.payload) or '')
      table.insert(all, {
        family = family,
        known = type(t.family) == 'string',
        path = t.path,
        line = t.range.start.line,
        item = qf_item(t, text, 'I', read_line, encoding),
      })
    end
  end
  table.sort(all, function(a, b)
    if a.known ~= b.known then
      return a.known
    end
    if a.family ~= b.family then
      return a.family < b.family
    end
    if a.path ~= b.path then
      return a.path < b.path
    end
    return a.line < b.line
  end)
  local items = {}
  for _, t in ipairs(all) do
    table.insert(items, t.item)
  end
  return items
end

-- Asks the server for the gate's answer on the current buffer's workspace, then fills the
-- quickfix list with what `list(roots, encoding)` returns ({items, title}), and opens it
-- unless opts.open is false; opts.on_done() is called once the list is filled.
local function show_list(opts, list)
  opts = opts or {}
  M.project(0, function(roots, why, encoding)
    if not roots then
      vim.notify('tagls: ' .. why, vim.log.levels.WARN)
      return
    end
    local items, title = list(roots, encoding)
    vim.fn.setqflist({}, ' ', { title = title, items = items })
    if opts.open ~= false then
      vim.cmd('botright copen')
    end
    if opts.on_done then
      opts.on_done()
    end
  end)
end

-- :TaglsGate: the gate's findings for the current buffer's workspace, in the quickfix
-- list, blocking ones first and marked, with the verdict in the title. opts.open = false
-- leaves the quickfix window closed; opts.on_done() is called once the list is filled.
function M.gate(opts)
  show_list(opts, function(roots, encoding)
    local items = M.gate_items(roots, encoding)
    local blocking = 0
    for _, root in ipairs(roots) do
      blocking = blocking + ((root.summary and root.summary.blocking) or 0)
    end
    local title = string.format(
      'tagls gate: %s, %d finding(s), %d blocking',
      verdicts(roots),
      #items,
      blocking
    )
    return items, title
  end)
end

-- :TaglsTags: every tag of the current buffer's workspace, by family and file, in the
-- quickfix list, with the verdict in the title.
function M.tags(opts)
  show_list(opts, function(roots, encoding)
    local items = M.tag_items(roots, encoding)
    local files = {}
    for _, item in ipairs(items) do
      files[item.filename] = true
    end
    local title = string.format(
      'tagls tags: %d tag(s) in %d file(s), gate %s',
      #items,
      vim.tbl_count(files),
      verdicts(roots)
    )
    return items, title
  end)
end

return M
