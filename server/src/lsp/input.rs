//! The input side of the protocol stream, checked before tower-lsp-server
//! sees it: its codec ends the read loop on the first frame it cannot
//! decode (tokio-util's `FramedRead` yields `None` after a decoder error),
//! so one malformed message would stop the server. Each frame is checked
//! here; one that is not a JSON-RPC message is replaced by a request to
//! [`INVALID_MESSAGE`] with a null id, which the backend answers with the
//! error that was due: -32700 (not JSON) or -32600 (not a message).

use std::collections::VecDeque;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tower_lsp_server::jsonrpc::{Request, Response};

/// The method that stands in for a message that could not be read.
pub const INVALID_MESSAGE: &str = "tagls/invalidMessage";

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

/// Copies framed messages from `input` to the returned stream, replacing
/// the ones that cannot be decoded.
pub fn checked<R>(input: R) -> tokio::io::DuplexStream
where
    R: AsyncRead + Unpin + Send + 'static,
{
    let (mut out, server_side) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        let mut reader = BufReader::new(input);
        let mut carry = Vec::new();
        let mut resync = false;
        while let Some(frame) = next_frame(&mut reader, &mut carry, &mut resync).await {
            let (body, exit) = match frame {
                Ok(body) => check(body),
                Err(why) => (substitute(PARSE_ERROR, &why), false),
            };
            let header = format!("Content-Length: {}\r\n\r\n", body.len());
            if out.write_all(header.as_bytes()).await.is_err()
                || out.write_all(&body).await.is_err()
            {
                return;
            }
            // Nothing is read after `exit`: a read left waiting on stdin
            // would keep the runtime from shutting down.
            if exit {
                return;
            }
        }
        // The end of the input: dropping `out` ends the server's read loop.
    });
    server_side
}

/// The body of the next frame; `Err` for a header that cannot be read (the
/// input is then skipped to the next `Content-Length`); `None` at the end.
/// `carry` holds the start of a header line already read while skipping;
/// `resync` says that the input must first be skipped (after a bad header,
/// whose error is answered before waiting for the next message).
async fn next_frame<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    carry: &mut Vec<u8>,
    resync: &mut bool,
) -> Option<Result<Vec<u8>, String>> {
    if std::mem::take(resync) {
        *carry = skip_to_next_header(reader).await?;
    }
    let mut len = None;
    let mut bad = None;
    let mut seen_header = false;
    loop {
        let mut line = std::mem::take(carry);
        if reader.read_until(b'\n', &mut line).await.ok()? == 0 && line.is_empty() {
            return None;
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if seen_header {
                break;
            }
            continue;
        }
        seen_header = true;
        match line.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => len = Some(n),
                    Err(_) => bad = Some(format!("invalid Content-Length: {}", value.trim())),
                }
            }
            Some(_) => {}
            None => bad = Some(format!("invalid header line: {line}")),
        }
    }
    let why = match (bad, len) {
        (None, Some(n)) => {
            let mut body = vec![0; n];
            reader.read_exact(&mut body).await.ok()?;
            return Some(Ok(body));
        }
        (Some(why), _) => why,
        (None, None) => "missing Content-Length".to_owned(),
    };
    *resync = true;
    Some(Err(why))
}

/// Discards input up to the next `Content-Length`, returning that word.
async fn skip_to_next_header<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<Vec<u8>> {
    const MARK: &[u8] = b"Content-Length";
    let mut window = VecDeque::with_capacity(MARK.len());
    loop {
        let byte = reader.read_u8().await.ok()?;
        if window.len() == MARK.len() {
            window.pop_front();
        }
        window.push_back(byte);
        if window.iter().eq(MARK.iter()) {
            return Some(MARK.to_vec());
        }
    }
}

/// The body itself when tower-lsp-server can decode it, else a stand-in;
/// and whether it is the `exit` notification.
fn check(body: Vec<u8>) -> (Vec<u8>, bool) {
    let Ok(text) = std::str::from_utf8(&body) else {
        return (substitute(PARSE_ERROR, "the message is not UTF-8"), false);
    };
    if let Ok(req) = serde_json::from_str::<Request>(text) {
        let exit = req.method() == "exit";
        return (body, exit);
    }
    if text.is_empty() || serde_json::from_str::<Response>(text).is_ok() {
        return (body, false);
    }
    let stand_in = match serde_json::from_str::<Value>(text) {
        Err(e) => substitute(PARSE_ERROR, &format!("the message is not JSON: {e}")),
        Ok(_) => substitute(
            INVALID_REQUEST,
            "the message is not a JSON-RPC 2.0 request, notification or response",
        ),
    };
    (stand_in, false)
}

fn substitute(code: i64, message: &str) -> Vec<u8> {
    json!({
        "jsonrpc": "2.0",
        "id": null,
        "method": INVALID_MESSAGE,
        "params": { "code": code, "message": message },
    })
    .to_string()
    .into_bytes()
}
