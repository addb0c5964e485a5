-- Drives tagls from a real, headless Neovim (0.7.2 .. 0.11.x) through a path in a tag
-- that does not exist and then appears on disk, for tests/nvim.rs.
--
--   TAGLS_BIN=/path/to/tagls TAGLS_RESULT=/tmp/result.json \
--   TAGLS_ROOT=/tmp/ws TAGLS_CREATE=src/cache/redis.ts \
--     nvim --headless -u NONE -i NONE -n -c "luafile tests/nvim/lsp_resolution.lua" src/app.ts
--
-- Starts tagls with root_dir $TAGLS_ROOT (default: the current folder), waits for a
-- `missing-path` diagnostic, then creates $TAGLS_ROOT/$TAGLS_CREATE on disk behind the
-- editor's back (mkdir -p + writefile; the buffer is never edited or written) and waits
-- for the server to drop the diagnostic by itself: Neovim on Linux does not watch files
-- for the server, so the server has to see the file appear.
--
-- Writes a JSON object to $TAGLS_RESULT:
--   nvim_version     "0.11.4"
--   offset_encoding  the client's negotiated encoding ("utf-8", "utf-16", ...)
--   root_dir         the root_dir given to the client
--   created          the absolute path of the file created
--   before           the diagnostics once the missing-path one arrived, before the file exists
--   after            the diagnostics once no missing-path one was left (or at the timeout)
--                    (both [{lnum, col, end_lnum, end_col, message, source, code, severity}],
--                    as vim.diagnostic reports them: 0-based, col in bytes,
--                    severity 1=ERROR 2=WARN 3=INFO 4=HINT)
--   resolved         whether the missing-path diagnostic went away within the timeout
--   resolve_ms       milliseconds from creating the file until then (or until the timeout)
--   file_exists      whether the created file is readable at the end
--   modified         the buffer's 'modified' at the end (must stay false)
--   server_exit_code the server's exit code once Neovim stopped it, or null
--   error            null, or what went wrong
-- and exits 0 when the run got that far (whether or not the diagnostic went away:
-- tests/nvim.rs judges that), 1 on any error. It never waits without a timeout.

local NAME = 'lsp_resolution.lua'
local HERE = debug.getinfo(1, 'S').source:sub(2):match('^(.*)/[^/]*$') or '.'
local loaded, common = pcall(dofile, HERE .. '/common.lua')
if not loaded then
  io.stderr:write(NAME .. ': cannot load common.lua: ' .. tostring(common) .. '\n')
  vim.cmd('cquit 1')
  return
end

local DIAGNOSTIC_TIMEOUT_MS = 10000
local RESOLVE_TIMEOUT_MS = 10000
local MISSING_PATH = 'missing-path'
local CREATED_TEXT = { 'export const redis = null' }

local result = {
  nvim_version = nil,
  offset_encoding = vim.NIL,
  root_dir = vim.NIL,
  created = vim.NIL,
  before = {},
  after = {},
  resolved = false,
  resolve_ms = vim.NIL,
  file_exists = false,
  modified = vim.NIL,
  server_exit_code = vim.NIL,
  error = vim.NIL,
}

local session = common.session(NAME, result)
local uv = vim.uv or vim.loop

local function count_missing(bufnr)
  local n = 0
  for _, d in ipairs(common.collect_diagnostics(bufnr)) do
    if d.code == MISSING_PATH then
      n = n + 1
    end
  end
  return n
end

local function run()
  local bin = session.server_bin()
  local create = os.getenv('TAGLS_CREATE')
  if not create or create == '' then
    error('TAGLS_CREATE is not set')
  end
  local root_dir = os.getenv('TAGLS_ROOT')
  if not root_dir or root_dir == '' then
    root_dir = vim.fn.getcwd()
  end
  result.root_dir = root_dir
  local target = root_dir .. '/' .. create
  result.created = target
  if vim.fn.filereadable(target) == 1 then
    error(target .. ' exists before the test created it')
  end

  local bufnr = session.current_file()
  local client_id = session.start_client(bufnr, bin, root_dir)
  if not client_id then
    error('could not start the language server ' .. bin)
  end

  -- 1. The path is reported missing.
  local got_missing = vim.wait(DIAGNOSTIC_TIMEOUT_MS, function()
    return count_missing(bufnr) > 0 or session.server_exited
  end, 50)
  result.before = common.collect_diagnostics(bufnr)
  local client = common.get_client(client_id)
  if client and client.offset_encoding then
    result.offset_encoding = client.offset_encoding
  end
  if session.server_exited then
    error('the language server exited early (code ' .. tostring(result.server_exit_code) .. ')')
  end
  if not got_missing then
    error('no ' .. MISSING_PATH .. ' diagnostic arrived within ' .. DIAGNOSTIC_TIMEOUT_MS .. ' ms')
  end

  -- 2. The file appears on disk, not through the editor.
  vim.fn.mkdir(vim.fn.fnamemodify(target, ':h'), 'p')
  if vim.fn.writefile(CREATED_TEXT, target) ~= 0 then
    error('could not write ' .. target)
  end
  local created_at = uv.hrtime()

  -- 3. The server notices by itself and republishes without the missing path.
  result.resolved = vim.wait(RESOLVE_TIMEOUT_MS, function()
    return count_missing(bufnr) == 0 or session.server_exited
  end, 20) and not session.server_exited
  result.resolve_ms = math.floor((uv.hrtime() - created_at) / 1e6)
  result.after = common.collect_diagnostics(bufnr)
  result.file_exists = vim.fn.filereadable(target) == 1
  result.modified = vim.bo[bufnr].modified
  if session.server_exited then
    error('the language server exited early (code ' .. tostring(result.server_exit_code) .. ')')
  end
end

session.main(run)
