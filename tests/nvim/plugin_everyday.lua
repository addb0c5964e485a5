-- Everyday use of the shipped Neovim plugin (editors/neovim) in a real, headless Neovim
-- (0.7.2 .. 0.11.x), for tests/nvim.rs: what a user does and sees, with nothing but
-- require('tagls').setup({ cmd = { $TAGLS_BIN } }).
--
--   TAGLS_BIN=/path/to/tagls TAGLS_RESULT=/tmp/result.json TAGLS_ROOT=/tmp/ws \
--     nvim --headless -u NONE -i NONE -n -c "luafile tests/nvim/plugin_everyday.lua" ws/src/app.ts
--
-- The file's first line is a tag naming a path that does not exist. The driver:
--   1. waits for the missing-path diagnostic;
--   2. waits for the file's code lens, without asking for it (the plugin does on attach);
--   3. asks for the code actions on line 0 as the user does (vim.lsp.buf.code_action,
--      with vim.ui.select stubbed to record what it is offered, in order, and pick none);
--   4. types `// #COMP` on a new last line and <C-x><C-o>, then <C-y> to accept the
--      first item (typed keys, in Insert mode: omnifunc is the plugin's to set), with `#`
--      outside 'iskeyword', then again with `#` inside it;
--   5. adds a second tag line with nvim_buf_set_lines (no Insert mode, no BufEnter) and
--      waits for the lens to follow: only the server's workspace/codeLens/refresh can say;
--   6. (0.9+) resolves the highlight of @lsp.type.tagPattern and of DiagnosticHint;
--   7. runs :TaglsGate, then :TaglsTags, and reads the quickfix list each fills.
--
-- Writes a JSON object to $TAGLS_RESULT:
--   nvim_version, offset_encoding, omnifunc, lens_before (the titles of the lenses first
--   shown), action_titles (what the code-action menu offered, in order), action_kinds,
--   completed_lines (each line typed and completed), completion_words (for each, the
--   words the menu offered), lens_after (titles once the second tag is in), pattern_hl, hint_hl, warn_hl
--   (0.9+: {fg, sp} of each, links followed; else null), gate_title, gate_items,
--   tags_title, tags_items ([{file, lnum, col, text, type}] from getqflist), error.
-- Exits 0 when the run got to the end, 1 on any error. Never waits without a timeout.

local NAME = 'plugin_everyday.lua'
local HERE = debug.getinfo(1, 'S').source:sub(2):match('^(.*)/[^/]*$') or '.'
local loaded, common = pcall(dofile, HERE .. '/common.lua')
if not loaded then
  io.stderr:write(NAME .. ': cannot load common.lua: ' .. tostring(common) .. '\n')
  vim.cmd('cquit 1')
  return
end

local WAIT_MS = 15000
local STOP_TIMEOUT_MS = 3000

local result = {
  nvim_version = nil,
  offset_encoding = vim.NIL,
  omnifunc = vim.NIL,
  lens_before = {},
  action_titles = {},
  action_kinds = {},
  completed_lines = {},
  completion_words = {},
  lens_after = {},
  pattern_hl = vim.NIL,
  hint_hl = vim.NIL,
  warn_hl = vim.NIL,
  gate_title = vim.NIL,
  gate_items = {},
  tags_title = vim.NIL,
  tags_items = {},
  server_exit_code = vim.NIL,
  error = vim.NIL,
}

local session = common.session(NAME, result)
local uv = vim.uv or vim.loop

local function keys(s)
  return vim.api.nvim_replace_termcodes(s, true, false, true)
end

local function wait(what, cond)
  if not vim.wait(WAIT_MS, cond, 50) then
    error('waited ' .. WAIT_MS .. ' ms for ' .. what)
  end
end

local function lens_titles(bufnr)
  local out = {}
  for _, lens in ipairs(vim.lsp.codelens.get(bufnr) or {}) do
    if lens.command and lens.command.title then
      table.insert(out, lens.command.title)
    end
  end
  return out
end

-- The quickfix list as a user reads it.
local function quickfix()
  local qf = vim.fn.getqflist({ title = 1, items = 1 })
  local items = {}
  for _, item in ipairs(qf.items) do
    table.insert(items, {
      file = vim.fn.fnamemodify(vim.fn.bufname(item.bufnr), ':p'),
      lnum = item.lnum,
      col = item.col,
      text = item.text,
      type = item.type,
    })
  end
  return qf.title, items
end

-- A highlight group's colours, links followed.
local function colours(name)
  local id = vim.fn.synIDtrans(vim.fn.hlID(name))
  return {
    fg = vim.fn.synIDattr(id, 'fg#'),
    sp = vim.fn.synIDattr(id, 'sp#'),
    name = vim.fn.synIDattr(id, 'name'),
  }
end

local function run()
  local bin = session.server_bin()
  vim.o.hidden = true
  local root = os.getenv('TAGLS_ROOT')
  if not root or root == '' then
    error('TAGLS_ROOT is not set')
  end
  local plugin = vim.fn.fnamemodify(HERE .. '/../../editors/neovim', ':p'):gsub('/$', '')
  vim.opt.runtimepath:prepend(plugin)
  local tagls = require('tagls')
  tagls.setup({
    cmd = { bin },
    on_exit = function(code)
      session.server_exited = true
      result.server_exit_code = code
    end,
  })

  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'typescript'
  local client
  wait('a tagls client', function()
    client = tagls.clients()[1]
    return client ~= nil and vim.lsp.buf_is_attached(bufnr, client.id)
  end)
  session.client_id = client.id
  result.offset_encoding = common.json_value(client.offset_encoding)

  -- 1. The diagnostic.
  wait('the missing-path diagnostic', function()
    for _, d in ipairs(common.collect_diagnostics(bufnr)) do
      if d.code == 'missing-path' then
        return true
      end
    end
    return false
  end)
  result.omnifunc = vim.bo[bufnr].omnifunc

  -- 2. The lens, never asked for here.
  wait('the code lens', function()
    return #lens_titles(bufnr) > 0
  end)
  result.lens_before = lens_titles(bufnr)

  -- 3. The code-action menu on line 0.
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  local offered = false
  vim.ui.select = function(items, opts, on_choice)
    for _, item in ipairs(items) do
      local action = item.action or item[2]
      table.insert(result.action_titles, opts.format_item and opts.format_item(item) or action.title)
      table.insert(result.action_kinds, common.json_value(action.kind))
    end
    offered = true
    on_choice(nil)
  end
  vim.lsp.buf.code_action()
  wait('the code-action menu', function()
    return offered
  end)

  -- 4. Typed: `// #COMP` and <C-x><C-o> on a new last line, then <C-y>; once with
  -- `#` outside 'iskeyword' (the default), once inside it (as some filetypes have it).
  for _, iskeyword in ipairs({ vim.bo[bufnr].iskeyword, vim.bo[bufnr].iskeyword .. ',#' }) do
    vim.bo[bufnr].iskeyword = iskeyword
    local last = vim.api.nvim_buf_line_count(bufnr)
    vim.api.nvim_buf_set_lines(bufnr, last, last, false, { '' })
    vim.api.nvim_win_set_cursor(0, { last + 1, 0 })
    local deadline = uv.now() + WAIT_MS
    local words = {}
    local function accept()
      if vim.fn.pumvisible() == 1 then
        for _, item in ipairs(vim.fn.complete_info({ 'items' }).items or {}) do
          table.insert(words, item.word)
        end
        vim.api.nvim_feedkeys(keys('<C-y><Esc>'), 'n', false)
      elseif uv.now() > deadline then
        vim.api.nvim_feedkeys(keys('<Esc>'), 'n', false)
      else
        vim.defer_fn(accept, 50)
      end
    end
    vim.defer_fn(accept, 50)
    -- Runs the keys and stays in Insert mode until accept() leaves it.
    vim.fn.feedkeys(keys('A// #COMP<C-x><C-o>'), 'ntx!')
    wait('Normal mode', function()
      return vim.fn.mode() == 'n'
    end)
    table.insert(result.completion_words, words)
    table.insert(result.completed_lines, vim.api.nvim_buf_get_lines(bufnr, last, last + 1, false)[1])
  end

  -- 5. Another tag, not typed: the lens follows through the server's refresh.
  local before = table.concat(lens_titles(bufnr), '\n')
  wait('the lens after the completion', function()
    -- InsertLeave asked again; whatever it said, the next change must show.
    return #lens_titles(bufnr) > 0
  end)
  vim.api.nvim_buf_set_lines(bufnr, -1, -1, false, { '// #CARGO_CULT: retries copied from src/b.ts' })
  wait('the lens to show the pattern', function()
    local now = table.concat(lens_titles(bufnr), '\n')
    return now ~= before and now:find('pattern', 1, true) ~= nil
  end)
  result.lens_after = lens_titles(bufnr)

  -- 6. Colours.
  if common.has('nvim-0.9') then
    result.pattern_hl = colours('@lsp.type.tagPattern')
    result.hint_hl = colours('DiagnosticHint')
    result.warn_hl = colours('DiagnosticWarn')
  end

  -- 7. The whole project, in the quickfix list.
  vim.fn.setqflist({}, 'r', { title = 'before', items = {} })
  vim.cmd('TaglsGate')
  wait(':TaglsGate to fill the quickfix list', function()
    return vim.fn.getqflist({ title = 1 }).title:find('^tagls gate') ~= nil
  end)
  result.gate_title, result.gate_items = quickfix()
  vim.cmd('cclose')
  vim.cmd('TaglsTags')
  wait(':TaglsTags to fill the quickfix list', function()
    return vim.fn.getqflist({ title = 1 }).title:find('^tagls tags') ~= nil
  end)
  result.tags_title, result.tags_items = quickfix()
  vim.cmd('cclose')
end

session.main(run)
