//! Accepting and keeping connections: a header-read timeout, an idle timeout,
//! a cap on open connections and a bounded drain at shutdown. axum's own
//! `serve` has none of these (hyper's header timeout needs a timer it does
//! not set), so one client could hold the server's file descriptors forever.

use super::client_addr::{ClientAddr, TrustedProxies};
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// From a request's first byte to its last header line.
    pub header_read_timeout: Duration,
    /// A connection with no request on it, or one on which nothing moves
    /// while a request is open, is closed after this long.
    pub idle_timeout: Duration,
    /// Open connections; further ones wait in the kernel's accept queue.
    pub max_connections: usize,
    /// At shutdown, how long open requests get to finish.
    pub shutdown_timeout: Duration,
}

/// Serves `app` until `shutdown` resolves, then stops accepting, lets open
/// requests finish and closes idle connections. Returns whether every
/// connection ended within the shutdown timeout.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    proxies: TrustedProxies,
    shutdown: impl Future<Output = ()>,
) -> bool {
    let proxies = Arc::new(proxies);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (closing, closed) = watch::channel(false);
    tokio::pin!(shutdown);
    let mut warned_full: Option<Instant> = None;
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if warned_full.is_none_or(|at| at.elapsed() > Duration::from_secs(60)) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection limit reached: new connections wait until one closes"
                    );
                    warned_full = Some(Instant::now());
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                    () = &mut shutdown => break,
                }
            }
        };
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, mostly: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Responses are written whole; do not let Nagle hold them back.
        let _ = tcp.set_nodelay(true);
        tokio::spawn(connection(
            tcp,
            remote,
            app.clone(),
            proxies.clone(),
            limits,
            closed.clone(),
            slot,
        ));
    }
    drop(listener);
    let _ = closing.send(true);
    // Each connection holds its slot until it ends: every slot back, every connection gone.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    tokio::time::timeout(limits.shutdown_timeout, slots.acquire_many(all))
        .await
        .is_ok()
}

async fn connection(
    tcp: TcpStream,
    remote: SocketAddr,
    app: Router,
    proxies: Arc<TrustedProxies>,
    limits: Limits,
    mut closing: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: tcp,
        activity: activity.clone(),
    });
    let on_request = activity.clone();
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            let busy = Busy::start(&on_request);
            let client = proxies.client(remote.ip(), req.headers());
            req.extensions_mut().insert(ConnectInfo(remote));
            req.extensions_mut().insert(ClientAddr(client));
            let app = app.clone();
            async move {
                let response =
                    tower::ServiceExt::oneshot(app, req.map(axum::body::Body::new)).await;
                drop(busy);
                response
            }
        });
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::pin!(conn);
    let mut check = tokio::time::interval(
        (limits.header_read_timeout.min(limits.idle_timeout) / 4).max(Duration::from_millis(25)),
    );
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut draining = false;
    loop {
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(%remote, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = closing.changed(), if !draining => {
                // Idle connections close now; one with a request open closes after its response.
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            _ = check.tick() => {
                if let Some(why) = activity.overdue(&limits) {
                    tracing::debug!(%remote, why, "closing connection");
                    return;
                }
            }
        }
    }
}

/// What a connection has been doing, as its watchdog sees it.
struct Activity {
    born: Instant,
    /// Milliseconds since `born` of the last byte read or written.
    last_io: AtomicU64,
    /// Milliseconds since `born`, plus one, of the first byte of a request
    /// whose headers are not complete yet; 0 while none is.
    head_since: AtomicU64,
    /// Requests being handled.
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            born: Instant::now(),
            last_io: AtomicU64::new(0),
            head_since: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    fn now(&self) -> u64 {
        self.born.elapsed().as_millis() as u64
    }

    fn read(&self, n: usize) {
        if n == 0 {
            return;
        }
        let now = self.now();
        self.last_io.store(now, Ordering::Relaxed);
        if self.busy.load(Ordering::Relaxed) == 0 && self.head_since.load(Ordering::Relaxed) == 0 {
            self.head_since.store(now + 1, Ordering::Relaxed);
        }
    }

    fn wrote(&self) {
        self.last_io.store(self.now(), Ordering::Relaxed);
    }

    /// Why the connection should be closed now, if it should.
    fn overdue(&self, limits: &Limits) -> Option<&'static str> {
        let now = self.now();
        let head = self.head_since.load(Ordering::Relaxed);
        let quiet = Duration::from_millis(now.saturating_sub(self.last_io.load(Ordering::Relaxed)));
        if self.busy.load(Ordering::Relaxed) == 0
            && head != 0
            && Duration::from_millis(now + 1 - head) > limits.header_read_timeout
        {
            Some("request headers not complete within header_read_timeout_ms")
        } else if quiet > limits.idle_timeout {
            Some("idle for idle_timeout_ms")
        } else {
            None
        }
    }
}

/// Marks a request as being handled for as long as it lives.
struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: &Arc<Activity>) -> Busy {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        activity.head_since.store(0, Ordering::Relaxed);
        Busy(activity.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        // The idle clock starts when the answer is ready, not when the request came.
        self.0.wrote();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A TCP stream that reports every byte moved to its connection's watchdog.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if polled.is_ready() {
            self.activity.read(buf.filled().len() - before);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
