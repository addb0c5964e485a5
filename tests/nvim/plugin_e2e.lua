-- Drives tagls through the shipped Neovim plugin (editors/neovim) in a real, headless
-- Neovim (0.7.2 .. 0.11.x), for tests/editors_plugin.rs: no hand-written client config,
-- only require('tagls').setup().
--
--   TAGLS_BIN=/path/to/tagls TAGLS_RESULT=/tmp/result.json TAGLS_ROOT=/tmp/ws \
--     nvim --headless -u NONE -i NONE -n -c "luafile tests/nvim/plugin_e2e.lua" ws/src/app.ts
--
-- The file is opened without a filetype (-u NONE detects none); the driver puts
-- editors/neovim on the runtimepath, calls setup({ cmd = { $TAGLS_BIN }, settings = ... }),
-- then sets the filetype, which is what starts the client. $TAGLS_ROOT has a `.git`
-- folder and the file is two levels below it. The file holds an assumption tag (line 0)
-- and a misspelt tag `#COMPLETION_DIRVE:` (line 2). The driver checks:
--   - diagnostics from source tagls arrive;
--   - hover on the assumption tag;
--   - semantic tokens (0.9+ only; 0.7 has none): vim.inspect_pos on the tag;
--   - the quick fix "Change to #COMPLETION_DRIVE" on the misspelt tag, applied with
--     vim.lsp.util.apply_workspace_edit, changes the buffer;
--   - a second file under the same root reuses the client; Markdown files get it too,
--     the implementation log as well as any other (the server tells them apart).
--
-- Writes a JSON object to $TAGLS_RESULT:
--   nvim_version, plugin_path, lsp_config (0.11: whether vim.lsp.config was used),
--   client_count, root_dir, init_options, settings, offset_encoding,
--   diagnostics (as in common.lua), hover, semantic_tokens ("unsupported" before 0.9, else
--   the hl groups vim.inspect_pos found on the tag), highlight_link (the group
--   @lsp.type.tagAssumption links to, 0.9+), action_titles, action, line_before,
--   line_after, modified, second_file_same_client, second_file_clients,
--   readme_clients, log_clients, log_same_client, server_exit_code, error.
-- Exits 0 when the run got to the end, 1 on any error. Never waits without a timeout.

local NAME = 'plugin_e2e.lua'
local HERE = debug.getinfo(1, 'S').source:sub(2):match('^(.*)/[^/]*$') or '.'
local loaded, common = pcall(dofile, HERE .. '/common.lua')
if not loaded then
  io.stderr:write(NAME .. ': cannot load common.lua: ' .. tostring(common) .. '\n')
  vim.cmd('cquit 1')
  return
end

local ATTACH_TIMEOUT_MS = 10000
local DIAGNOSTIC_TIMEOUT_MS = 10000
local TOKEN_TIMEOUT_MS = 10000
local REQUEST_TIMEOUT_MS = 5000
local TAG = '#COMPLETION_DRIVE:'
local TYPO = '#COMPLETION_DIRVE:'
local FIX_TITLE = 'Change to #COMPLETION_DRIVE'
local SETTINGS = { log = '.orchestration/implementation-log.md' }

local result = {
  nvim_version = nil,
  plugin_path = vim.NIL,
  lsp_config = vim.NIL,
  client_count = vim.NIL,
  root_dir = vim.NIL,
  init_options = vim.NIL,
  settings = vim.NIL,
  offset_encoding = vim.NIL,
  diagnostics = {},
  hover = vim.NIL,
  semantic_tokens = vim.NIL,
  highlight_link = vim.NIL,
  action_titles = {},
  action = vim.NIL,
  line_before = vim.NIL,
  line_after = vim.NIL,
  modified = vim.NIL,
  second_file_same_client = vim.NIL,
  second_file_clients = vim.NIL,
  readme_clients = vim.NIL,
  log_clients = vim.NIL,
  log_same_client = vim.NIL,
  server_exit_code = vim.NIL,
  error = vim.NIL,
}

local session = common.session(NAME, result)
local json_value = common.json_value

-- The tagls clients attached to `bufnr`.
local function buffer_clients(bufnr)
  local all
  if vim.lsp.get_clients then
    all = vim.lsp.get_clients({ bufnr = bufnr })
  else
    all = vim.tbl_values(vim.lsp.buf_get_clients(bufnr))
  end
  local out = {}
  for _, client in ipairs(all) do
    if client.name == 'tagls' then
      table.insert(out, client)
    end
  end
  return out
end

-- MarkupContent | MarkedString | MarkedString[] -> string
local function hover_text(contents)
  if contents == nil or contents == vim.NIL then
    return nil
  end
  if type(contents) == 'string' then
    return contents
  end
  if contents.value ~= nil then
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

-- The response of `client_id` to a synchronous request, or an error.
local function request(bufnr, client_id, method, params)
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, params, REQUEST_TIMEOUT_MS)
  if not responses then
    error(method .. ' failed: ' .. tostring(err))
  end
  local response = responses[client_id]
  if not response then
    error('no ' .. method .. ' response from the tagls client')
  end
  local rpc_err = response.err or response.error -- 0.11 calls it err, 0.7 error
  if rpc_err then
    error(method .. ' returned an error: ' .. vim.inspect(rpc_err))
  end
  if response.result == vim.NIL then
    return nil
  end
  return response.result
end

-- 0-based line and byte column of the first `needle` in `bufnr`.
local function find(bufnr, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local s = string.find(line, needle, 1, true)
    if s then
      return i - 1, s - 1
    end
  end
  error('no line containing ' .. needle)
end

-- The LSP diagnostic behind a vim.diagnostic one (0.11 keeps it whole in
-- user_data.lsp; 0.7 keeps code and data there: rebuild the rest, ASCII lines only).
local function lsp_diagnostic(d)
  local lsp = d.user_data and d.user_data.lsp or {}
  if lsp.range then
    return lsp
  end
  return {
    range = {
      start = { line = d.lnum, character = d.col },
      ['end'] = { line = d.end_lnum or d.lnum, character = d.end_col or d.col },
    },
    severity = d.severity,
    message = d.message,
    source = d.source,
    code = lsp.code or d.code,
    data = lsp.data,
  }
end

-- Waits until `bufnr` has a tagls client; returns it.
local function wait_client(bufnr, what)
  local clients = {}
  vim.wait(ATTACH_TIMEOUT_MS, function()
    clients = buffer_clients(bufnr)
    return #clients > 0 or session.server_exited
  end, 50)
  if #clients == 0 then
    error('no tagls client attached to ' .. what .. ' within ' .. ATTACH_TIMEOUT_MS .. ' ms')
  end
  return clients[1]
end

local function open(path, filetype)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = filetype
  return bufnr
end

local function run()
  local bin = session.server_bin()
  -- 0.7 does not hide a modified buffer by itself when another is edited.
  vim.o.hidden = true
  local root = os.getenv('TAGLS_ROOT')
  if not root or root == '' then
    error('TAGLS_ROOT is not set')
  end

  -- 1. The plugin, from this repository, through its own setup().
  local plugin = vim.fn.fnamemodify(HERE .. '/../../editors/neovim', ':p'):gsub('/$', '')
  if vim.fn.isdirectory(plugin .. '/lua/tagls') ~= 1 then
    error('no plugin at ' .. plugin)
  end
  result.plugin_path = plugin
  vim.opt.runtimepath:prepend(plugin)
  local tagls = require('tagls')
  tagls.setup({
    cmd = { bin },
    settings = SETTINGS,
    on_exit = function(code, _signal)
      session.server_exited = true
      result.server_exit_code = code
    end,
  })
  result.lsp_config = common.has('nvim-0.11') and vim.lsp.config ~= nil and vim.lsp.config.tagls ~= nil

  -- 2. The file given on the command line gets its filetype: that starts the client.
  local bufnr = vim.api.nvim_get_current_buf()
  local fname = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':p')
  if fname == '' then
    error('no file given')
  end
  vim.bo[bufnr].filetype = 'typescript'
  local client = wait_client(bufnr, fname)
  session.client_id = client.id
  result.root_dir = json_value(client.config.root_dir)
  result.init_options = json_value(client.config.init_options)
  result.settings = json_value(client.config.settings)

  -- 3. Diagnostics.
  local got = vim.wait(DIAGNOSTIC_TIMEOUT_MS, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
      if d.source == 'tagls' and code == 'unknown-tag' then
        return true
      end
    end
    return session.server_exited
  end, 50)
  result.diagnostics = common.collect_diagnostics(bufnr)
  result.offset_encoding = json_value(client.offset_encoding)
  if session.server_exited then
    error('the language server exited early (code ' .. tostring(result.server_exit_code) .. ')')
  end
  if not got then
    error('no tagls unknown-tag diagnostic within ' .. DIAGNOSTIC_TIMEOUT_MS .. ' ms')
  end

  -- 4. Hover on the assumption tag (ASCII line: byte column = LSP character).
  local tag_line, tag_col = find(bufnr, TAG)
  local hover = request(bufnr, client.id, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = tag_line, character = tag_col + 1 },
  })
  result.hover = json_value(hover and hover_text(hover.contents) or nil)

  -- 5. Semantic tokens (0.9+).
  if not common.has('nvim-0.9') or not vim.inspect_pos then
    result.semantic_tokens = 'unsupported'
  else
    local groups = {}
    vim.wait(TOKEN_TIMEOUT_MS, function()
      groups = {}
      local pos = vim.inspect_pos(bufnr, tag_line, tag_col + 1)
      for _, token in ipairs(pos.semantic_tokens or {}) do
        table.insert(groups, token.opts and token.opts.hl_group or vim.inspect(token))
      end
      return #groups > 0 or session.server_exited
    end, 50)
    result.semantic_tokens = groups
    if vim.api.nvim_get_hl then
      local hl = vim.api.nvim_get_hl(0, { name = '@lsp.type.tagAssumption' })
      result.highlight_link = json_value(hl.link)
    end
  end

  -- 6. The quick fix on the misspelt tag.
  local typo_line, typo_col = find(bufnr, TYPO)
  result.line_before = vim.api.nvim_buf_get_lines(bufnr, typo_line, typo_line + 1, false)[1]
  local context = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr, { lnum = typo_line })) do
    if d.source == 'tagls' then
      table.insert(context, lsp_diagnostic(d))
    end
  end
  local actions = request(bufnr, client.id, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = {
      start = { line = typo_line, character = typo_col + 1 },
      ['end'] = { line = typo_line, character = typo_col + 1 },
    },
    context = { diagnostics = context },
  }) or {}
  local chosen
  for _, action in ipairs(actions) do
    table.insert(result.action_titles, action.title or '')
    if not chosen and action.title == FIX_TITLE then
      chosen = action
    end
  end
  if not chosen then
    error('no code action titled ' .. FIX_TITLE .. ': ' .. vim.inspect(result.action_titles))
  end
  result.action = chosen
  if not chosen.edit then
    error(FIX_TITLE .. ' has no edit')
  end
  vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding)
  result.line_after = vim.api.nvim_buf_get_lines(bufnr, typo_line, typo_line + 1, false)[1]
  result.modified = vim.bo[bufnr].modified

  -- 7. A second file under the same root reuses the client.
  local second = open(root .. '/src/other.ts', 'typescript')
  local second_client = wait_client(second, 'src/other.ts')
  result.second_file_same_client = second_client.id == client.id

  -- 8. Markdown: any file gets the client, the implementation log as well.
  local readme = open(root .. '/README.md', 'markdown')
  wait_client(readme, 'README.md')
  result.readme_clients = #buffer_clients(readme)
  local log = open(root .. '/.orchestration/implementation-log.md', 'markdown')
  local log_client = wait_client(log, 'the implementation log')
  result.log_clients = #buffer_clients(log)
  result.log_same_client = log_client.id == client.id
  result.second_file_clients = #buffer_clients(second)

  -- 9. JSON: the phase state of the method's newer form gets the client, and its
  -- findings on the values they are about.
  local state = open(root .. '/.claude/orchestration/phase_state.json', 'json')
  local state_client = wait_client(state, 'the phase state')
  result.phase_state_same_client = state_client.id == client.id
  vim.wait(DIAGNOSTIC_TIMEOUT_MS, function()
    for _, d in ipairs(vim.diagnostic.get(state)) do
      local lsp = lsp_diagnostic(d)
      if d.source == 'tagls' and lsp.code == 'gate-failed' then
        result.phase_state_diagnostic = { code = lsp.code, line = lsp.range.start.line }
        return true
      end
    end
    return session.server_exited
  end, 50)
  result.client_count = #tagls.clients()
end

session.main(run)
