//! A fault-injecting HTTP proxy in front of the test server (moto): a rule
//! may answer a request itself (throttling, a vanished key, a denied
//! action) instead of forwarding it. The S3 tests and the `--aws` tests
//! share it.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// What a rule sees of a request.
pub struct Request<'a> {
    /// `GET`, `POST`.
    pub method: &'a str,
    /// The path and query.
    pub path: &'a str,
    /// The request head's header lines.
    pub head: &'a str,
    /// The body.
    pub body: &'a [u8],
    /// How many requests with this method and path came before, plus one.
    pub nth: u64,
}

impl Request<'_> {
    /// The action an AWS request calls: `X-Amz-Target`'s
    /// (`Logs_20140328.DescribeMetricFilters`) for JSON services, the
    /// form's `Action=` for query services.
    pub fn action(&self) -> Option<String> {
        let target = self.head.split("\r\n").find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("x-amz-target")
                .then(|| v.trim().rsplit('.').next().unwrap_or_default().to_owned())
        });
        target.or_else(|| {
            String::from_utf8_lossy(self.body)
                .split('&')
                .find_map(|kv| kv.strip_prefix("Action=").map(str::to_owned))
        })
    }

    /// Whether the request speaks a JSON protocol.
    pub fn is_json(&self) -> bool {
        self.head.to_ascii_lowercase().contains("x-amz-target:")
    }
}

/// A rule's own answer.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Content-Type.
    pub content_type: &'static str,
    /// Body.
    pub body: String,
}

impl Reply {
    /// An S3 XML error.
    pub fn s3_error(status: u16, code: &str, message: &str) -> Reply {
        Reply {
            status,
            content_type: "application/xml",
            body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"),
        }
    }

    /// The answer AWS gives an action the caller may not call: a JSON
    /// `AccessDeniedException`, or a query `ErrorResponse` with `code`
    /// (`AccessDenied`; SNS says `AuthorizationError`).
    pub fn denied(r: &Request, code: &str) -> Reply {
        let message = format!(
            "User: arn:aws:iam::123456789012:user/audit is not authorized to perform: {}",
            r.action().unwrap_or_default()
        );
        if r.is_json() {
            Reply {
                status: 400,
                content_type: "application/x-amz-json-1.1",
                body: format!(r#"{{"__type":"AccessDeniedException","message":"{message}"}}"#),
            }
        } else {
            Reply {
                status: 403,
                content_type: "text/xml",
                body: format!("<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>"),
            }
        }
    }
}

/// A rule: answer a request, or let it through (None).
pub type Rule = dyn Fn(&Request) -> Option<Reply> + Send + Sync;

/// The proxy: its URL, and the requests it saw.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    seen: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl Proxy {
    /// A proxy to `upstream` (`http://host:port`) applying `rule`.
    pub fn start(upstream: String, rule: Box<Rule>) -> Proxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(BTreeMap::new()));
        let rule: Arc<Rule> = Arc::from(rule);
        let seen2 = Arc::clone(&seen);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (rule, seen, upstream) =
                    (Arc::clone(&rule), Arc::clone(&seen2), upstream.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &upstream, &*rule, &seen);
                });
            }
        });
        Proxy { url, seen }
    }

    /// Requests seen whose method and path contain `path_part`.
    pub fn count(&self, path_part: &str) -> u64 {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.contains(path_part))
            .map(|(_, n)| n)
            .sum()
    }
}

/// One request per connection: read it, answer or forward it with
/// `Connection: close`, copy the answer back.
fn serve(
    mut c: TcpStream,
    upstream: &str,
    rule: &Rule,
    seen: &Mutex<BTreeMap<String, u64>>,
) -> std::io::Result<()> {
    let mut req = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        let n = c.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        req.extend_from_slice(&buf[..n]);
        if let Some(i) = req.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&req[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or_default().to_owned();
    let mut parts = first.split(' ');
    let (method, path) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    let len: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while req.len() < head_end + len {
        let n = c.read(&mut buf)?;
        if n == 0 {
            break;
        }
        req.extend_from_slice(&buf[..n]);
    }
    let nth = {
        let mut s = seen.lock().unwrap();
        let e = s.entry(format!("{method} {path}")).or_insert(0);
        *e += 1;
        *e
    };
    let request = Request {
        method: &method,
        path: &path,
        head: &head,
        body: &req[head_end..],
        nth,
    };
    if let Some(reply) = rule(&request) {
        write!(
            c,
            "HTTP/1.1 {} Refused\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            reply.status,
            reply.content_type,
            reply.body.len(),
            reply.body
        )?;
        return Ok(());
    }
    let mut up = TcpStream::connect(upstream)?;
    let rewritten: String = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect::<Vec<_>>()
        .join("\r\n");
    let rewritten = rewritten.trim_end_matches("\r\n").to_owned() + "\r\nConnection: close\r\n\r\n";
    up.write_all(rewritten.as_bytes())?;
    up.write_all(&req[head_end..])?;
    // Copy the answer, marking it `Connection: close`.
    let mut resp = Vec::new();
    up.read_to_end(&mut resp)?;
    if let Some(i) = resp.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&resp[..i]).into_owned();
        let head: Vec<&str> = head
            .split("\r\n")
            .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
            .collect();
        c.write_all(format!("{}\r\nConnection: close\r\n\r\n", head.join("\r\n")).as_bytes())?;
        c.write_all(&resp[i + 4..])?;
    }
    Ok(())
}
