-- What the Neovim drivers in tests/nvim/ (lsp_core.lua, lsp_resolution.lua) share:
-- starting and stopping tagls in Neovim 0.7.2 .. 0.11.x, reading vim.diagnostic,
-- writing the JSON result to $TAGLS_RESULT and always exiting.
--
-- A driver loads it from its own folder:
--   local here = debug.getinfo(1, 'S').source:sub(2):match('^(.*)/[^/]*$') or '.'
--   local common = dofile(here .. '/common.lua')

local M = {}

local STOP_TIMEOUT_MS = 3000

-- "0.11.4"
function M.nvim_version()
  local v = vim.version()
  return string.format('%d.%d.%d', v.major, v.minor, v.patch)
end

function M.has(feature)
  return vim.fn.has(feature) == 1
end

function M.get_client(id)
  if vim.lsp.get_client_by_id then
    return vim.lsp.get_client_by_id(id)
  end
  return nil
end

function M.json_value(v)
  if v == nil then
    return vim.NIL
  end
  return v
end

-- The buffer's diagnostics as vim.diagnostic reports them (0-based, col in bytes,
-- severity 1=ERROR 2=WARN 3=INFO 4=HINT):
--   [{lnum, col, end_lnum, end_col, message, source, code, severity}]
function M.collect_diagnostics(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local code = d.code
    if code == nil and d.user_data and d.user_data.lsp then
      code = d.user_data.lsp.code
    end
    table.insert(out, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = M.json_value(d.end_lnum),
      end_col = M.json_value(d.end_col),
      message = d.message,
      source = M.json_value(d.source),
      code = M.json_value(code),
      severity = d.severity,
    })
  end
  return out
end

-- One run of a driver named `name`, recording into `result` (the table written to
-- $TAGLS_RESULT). Fills in result.nvim_version now, result.server_exit_code when the
-- server exits and result.error when the run fails.
function M.session(name, result)
  local s = {
    client_id = nil,
    server_exited = false,
  }
  result.nvim_version = M.nvim_version()

  function s.log(msg)
    io.stderr:write(name .. ': ' .. msg .. '\n')
  end

  -- $TAGLS_BIN, checked.
  function s.server_bin()
    local bin = os.getenv('TAGLS_BIN')
    if not bin or bin == '' then
      error('TAGLS_BIN is not set')
    end
    if vim.fn.executable(bin) ~= 1 then
      error('TAGLS_BIN is not executable: ' .. bin)
    end
    return bin
  end

  -- The buffer of the file given on the command line and its absolute path; its
  -- filetype (the languageId) defaults to typescript, as -u NONE detects none
  -- unless TAGLS_DETECT_FILETYPE=1.
  function s.current_file()
    local bufnr = vim.api.nvim_get_current_buf()
    local fname = vim.api.nvim_buf_get_name(bufnr)
    if fname == '' then
      error('no file given: run as nvim ... -c "luafile ' .. name .. '" FILE')
    end
    fname = vim.fn.fnamemodify(fname, ':p')
    -- TAGLS_DETECT_FILETYPE=1: Neovim's own filetype detection names the
    -- language, as it does in everyday use.
    if os.getenv('TAGLS_DETECT_FILETYPE') == '1' then
      vim.cmd('filetype on')
      vim.cmd('filetype detect')
    end
    if vim.bo[bufnr].filetype == '' then
      vim.bo[bufnr].filetype = 'typescript'
    end
    return bufnr, fname
  end

  -- Starts tagls for `bufnr` with `root_dir`; returns the client id or nil.
  function s.start_client(bufnr, bin, root_dir)
    local config = {
      name = 'tagls',
      cmd = { bin, '--stdio' },
      root_dir = root_dir,
      on_exit = function(code, _signal)
        s.server_exited = true
        result.server_exit_code = code
      end,
    }
    local id
    if vim.lsp.start then
      -- 0.8+: starts the client and attaches it to the buffer.
      id = vim.lsp.start(config, { bufnr = bufnr })
    else
      -- 0.7: no vim.lsp.start.
      id = vim.lsp.start_client(config)
      if id then
        vim.lsp.buf_attach_client(bufnr, id)
      end
    end
    s.client_id = id
    return id
  end

  -- Stops the client (shutdown + exit) and waits, bounded, for the server to go.
  function s.stop_client()
    if not s.client_id then
      return
    end
    local client = M.get_client(s.client_id)
    if not client then
      return
    end
    -- vim.lsp.stop_client exists in 0.7 and 0.11 (client.stop became a method).
    pcall(vim.lsp.stop_client, s.client_id)
    vim.wait(STOP_TIMEOUT_MS, function()
      return s.server_exited
    end, 50)
    if not s.server_exited then
      s.log('the server did not exit within ' .. STOP_TIMEOUT_MS .. ' ms of shutdown; killing it')
      pcall(vim.lsp.stop_client, s.client_id, true)
      vim.wait(1000, function()
        return s.server_exited
      end, 50)
    end
  end

  function s.write_result()
    local path = os.getenv('TAGLS_RESULT')
    if not path or path == '' then
      s.log('TAGLS_RESULT is not set; result: ' .. vim.fn.json_encode(result))
      return
    end
    local encoded = vim.fn.json_encode(result)
    local f = assert(io.open(path, 'w'))
    f:write(encoded)
    f:close()
  end

  -- Runs `run`, stops the server, writes the result and quits Neovim: exit 0 when
  -- all went well, 1 on any error. Never returns.
  function s.main(run)
    local ok, err = xpcall(run, debug.traceback)
    if not ok then
      result.error = tostring(err)
      s.log(result.error)
    end
    pcall(s.stop_client)

    local wrote, write_err = pcall(s.write_result)
    if not wrote then
      s.log('could not write the result: ' .. tostring(write_err))
      ok = false
    end

    if ok then
      vim.cmd('qa!')
    else
      vim.cmd('cquit 1')
    end
  end

  return s
end

return M
