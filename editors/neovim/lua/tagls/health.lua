-- :checkhealth tagls
local M = {}

local MIN_VERSION = '0.7.2'

-- vim.health (0.10+) or the older `health` module (0.7 .. 0.9).
local function reporter()
  local h = vim.health
  if h and h.start then
    return h.start, h.ok, h.warn, h.error, h.info
  end
  h = require('health')
  return h.report_start, h.report_ok, h.report_warn, h.report_error, h.report_info
end

function M.check()
  local start, ok, warn, error, info = reporter()
  local tagls = require('tagls')

  start('Neovim')
  local v = vim.version()
  local version = string.format('%d.%d.%d', v.major, v.minor, v.patch)
  if vim.fn.has('nvim-' .. MIN_VERSION) == 1 then
    ok('Neovim ' .. version .. ' (tagls needs ' .. MIN_VERSION .. ' or later)')
  else
    error('Neovim ' .. version .. ': tagls needs ' .. MIN_VERSION .. ' or later')
  end
  if vim.fn.has('nvim-0.11') == 1 then
    info('clients start through vim.lsp.config and vim.lsp.enable')
  else
    info('clients start from a FileType autocommand, one per root folder')
  end
  if vim.fn.has('nvim-0.9') ~= 1 then
    info('semantic highlighting of tags needs Neovim 0.9; diagnostics and hover carry everything')
  end

  start('setup')
  local config = tagls.config
  if not config then
    warn("require('tagls').setup() has not been called: tagls does not start", {
      "call require('tagls').setup({}) from your configuration",
    })
    config = tagls.defaults
  else
    ok('setup() was called; filetypes: ' .. table.concat(config.filetypes, ', '))
  end

  start('server')
  local cmd = config.cmd or {}
  local bin = cmd[1]
  if not bin or vim.fn.executable(bin) ~= 1 then
    error(string.format('%s is not an executable', vim.inspect(bin)), {
      'install it: cargo install --locked --path server (in the tagls repository)',
      "or give its full path: require('tagls').setup({ cmd = { '/path/to/tagls' } })",
    })
    return
  end
  local path = vim.fn.exepath(bin)
  local out = vim.fn.system({ bin, '--version' })
  if vim.v.shell_error ~= 0 then
    error(path .. ' --version failed: ' .. vim.trim(out))
    return
  end
  ok(vim.trim(out) .. ' (' .. path .. ')')

  local clients = tagls.clients()
  if #clients == 0 then
    info('no tagls client is running (open a TypeScript, JavaScript, Go or Python file)')
  end
  for _, client in ipairs(clients) do
    info(string.format('client %d: root %s', client.id, tostring(client.config.root_dir)))
  end
end

return M
