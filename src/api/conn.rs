//! The connections the server accepts: a [`Listener`] whose streams replace hyper's own
//! bare answers to requests it cannot parse (`400`, `414` for a target over 64 KiB, `431`
//! for a head over its buffer or 100 headers: an empty body with `connection: close`,
//! written before any of our code runs) with problem+json answers carrying a stable code,
//! and the client's address for the per-address limits ([`Client`]).

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener whose connections answer problem+json even where hyper answers alone.
pub struct ProblemListener(pub TcpListener);

/// The client's address (`ConnectInfo<Client>` in a request's extensions).
#[derive(Debug, Clone, Copy)]
pub struct Client(pub SocketAddr);

impl Listener for ProblemListener {
    type Io = ProblemIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (ProblemIo, SocketAddr) {
        loop {
            match self.0.accept().await {
                Ok((io, addr)) => {
                    return (
                        ProblemIo {
                            inner: io,
                            pending: Vec::new(),
                        },
                        addr,
                    );
                }
                Err(e) => {
                    // As axum's own listener: out of descriptors and the like pass; wait a
                    // little so the loop does not spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, ProblemListener>> for Client {
    fn connect_info(stream: IncomingStream<'_, ProblemListener>) -> Client {
        Client(*stream.remote_addr())
    }
}

/// A connection; see the module.
pub struct ProblemIo {
    inner: TcpStream,
    /// Bytes of a replacement answer still to write.
    pending: Vec<u8>,
}

/// hyper's answer to a request it could not parse: a 4xx head, `connection: close`, no
/// body (its whole answer, written in one piece since we say writes are not vectored).
fn bare_status(buf: &[u8]) -> Option<u16> {
    let head = buf.strip_prefix(b"HTTP/1.1 ")?;
    let status: u16 = std::str::from_utf8(head.get(..3)?).ok()?.parse().ok()?;
    let bare = (400..500).contains(&status)
        && buf.ends_with(b"\r\n\r\n")
        && buf
            .windows(b"\r\nconnection: close\r\ncontent-length: 0\r\n".len())
            .any(|w| w == b"\r\nconnection: close\r\ncontent-length: 0\r\n")
        && !buf
            .windows(b"content-type:".len())
            .any(|w| w.eq_ignore_ascii_case(b"content-type:"));
    bare.then_some(status)
}

impl ProblemIo {
    /// Wraps an accepted connection.
    pub fn new(inner: TcpStream) -> ProblemIo {
        ProblemIo {
            inner,
            pending: Vec::new(),
        }
    }

    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            match Pin::new(&mut self.inner).poll_write(cx, &self.pending) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.pending.drain(..n);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ProblemIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ProblemIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.drain(cx)?.is_pending() {
            return Poll::Pending;
        }
        if let Some(status) = bare_status(buf) {
            this.pending = super::error::bare_answer(status);
            // The replacement goes out on this and the next calls (and on flush).
            let _ = this.drain(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.drain(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.drain(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::bare_status;

    #[test]
    fn only_hypers_bare_error_answers_are_replaced() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Sun, 06 Dec 2026 08:36:23 GMT\r\n\r\n";
        assert_eq!(bare_status(bare), Some(431));
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_status(ours), None);
        let ok = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_status(ok), None);
    }
}
