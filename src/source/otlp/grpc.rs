//! OTLP/gRPC: the generated `TraceService`, `LogsService` and `MetricsService` servers of
//! `opentelemetry-proto`, with gzip accepted, the body limit as the largest message, the
//! connection cap, and the same token check, decoding and backpressure as OTLP/HTTP.

use super::intake::{Accepted, Busy, Intake};
use crate::decode::otlp_wire::{decode_logs, decode_metrics, decode_traces, Export};
use crate::decode::{Reject, RejectReason};
use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;
use tonic::codec::CompressionEncoding;
use tonic::transport::server::Connected;
use tonic::{Request, Response, Status};

/// Serves the three OTLP services on `listener` until it fails.
pub(super) async fn serve(
    listener: TcpListener,
    intake: Arc<Intake>,
) -> Result<(), tonic::transport::Error> {
    let limit = intake.opts.max_body_bytes;
    let timeout = intake.opts.read_timeout;
    let incoming = capped(listener, intake.opts.max_connections, timeout);
    let svc = Otlp(intake.clone());
    tonic::transport::Server::builder()
        .timeout(timeout)
        .concurrency_limit_per_connection(16)
        .add_service(Undecodable {
            inner: TraceServiceServer::new(svc.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit),
            intake: intake.clone(),
        })
        .add_service(Undecodable {
            inner: LogsServiceServer::new(svc.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit),
            intake: intake.clone(),
        })
        .add_service(Undecodable {
            inner: MetricsServiceServer::new(svc)
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit),
            intake,
        })
        .serve_with_incoming(incoming)
        .await
}

/// Accepted connections, at most `max` open at once (more wait in the listen backlog, as
/// on OTLP/HTTP). A connection that sends nothing for `idle` is closed, so sockets that
/// never finish the HTTP/2 handshake cannot hold the slots; an exporter reconnects on its
/// next export.
fn capped(
    listener: TcpListener,
    max: usize,
    idle: Duration,
) -> impl futures_util::Stream<Item = std::io::Result<Capped>> {
    let slots = Arc::new(Semaphore::new(max.max(1)));
    futures_util::stream::unfold((listener, slots), move |(listener, slots)| async move {
        let permit = slots.clone().acquire_owned().await.ok()?;
        let next = match listener.accept().await {
            Ok((stream, _)) => Ok(Capped {
                stream,
                idle,
                deadline: Box::pin(tokio::time::sleep(idle)),
                _permit: permit,
            }),
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(e)
            }
        };
        Some((next, (listener, slots)))
    })
}

/// A connection, the slot it holds, and when it is closed if the client stays silent.
struct Capped {
    stream: TcpStream,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    _permit: OwnedSemaphorePermit,
}

impl Connected for Capped {
    type ConnectInfo = <TcpStream as Connected>::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for Capped {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let me = &mut *self;
        match Pin::new(&mut me.stream).poll_read(cx, buf) {
            Poll::Ready(r) => {
                let at = tokio::time::Instant::now() + me.idle;
                me.deadline.as_mut().reset(at);
                Poll::Ready(r)
            }
            Poll::Pending => match me.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "OTLP/gRPC connection idle",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for Capped {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A generated service whose request messages tonic decodes before our handler runs: a
/// body that is not a protobuf message of the service comes back from tonic as `INTERNAL`
/// and never reaches [`Otlp::accept`]. This wrapper answers it `INVALID_ARGUMENT` (the
/// client's fault, not to be retried) and counts it as `undecodable`, as OTLP/HTTP does.
#[derive(Clone)]
struct Undecodable<S> {
    inner: S,
    intake: Arc<Intake>,
}

impl<S: tonic::server::NamedService> tonic::server::NamedService for Undecodable<S> {
    const NAME: &'static str = S::NAME;
}

type GrpcResponse = tonic::codegen::http::Response<tonic::body::Body>;

impl<S, B> tonic::codegen::Service<tonic::codegen::http::Request<B>> for Undecodable<S>
where
    S: tonic::codegen::Service<
        tonic::codegen::http::Request<B>,
        Response = GrpcResponse,
        Error = std::convert::Infallible,
    >,
    S::Future: Send + 'static,
{
    type Response = GrpcResponse;
    type Error = std::convert::Infallible;
    type Future =
        Pin<Box<dyn Future<Output = Result<GrpcResponse, std::convert::Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: tonic::codegen::http::Request<B>) -> Self::Future {
        let answer = self.inner.call(req);
        let intake = self.intake.clone();
        Box::pin(async move {
            let mut r = answer.await?;
            let headers = r.headers_mut();
            let internal = headers.get("grpc-status").map(|v| v.as_bytes()) == Some(b"13");
            let decode = headers
                .get("grpc-message")
                .is_some_and(|m| m.as_bytes().starts_with(b"failed%20to%20decode"));
            if internal && decode {
                headers.insert(
                    "grpc-status",
                    tonic::codegen::http::HeaderValue::from_static("3"),
                );
                let msg = "request body is not a protobuf message of this service";
                intake
                    .refuse(Reject::new(RejectReason::Undecodable, msg), 0)
                    .await;
            }
            Ok(r)
        })
    }
}

/// The three services share one intake.
#[derive(Clone)]
struct Otlp(Arc<Intake>);

impl Otlp {
    /// Token check, decoding and delivery of one request.
    async fn accept<M, F>(&self, request: Request<M>, decode: F) -> Result<Accepted, Status>
    where
        M: Message + Send + 'static,
        F: FnOnce(&M, i64) -> Result<Export, Reject> + Send + 'static,
    {
        let intake = &self.0;
        let token = request
            .metadata()
            .get("authorization")
            .map(|v| v.as_bytes());
        if !intake.authorized(token) {
            let msg = "missing or wrong bearer token";
            intake
                .refuse(Reject::new(RejectReason::Unauthorized, msg), 0)
                .await;
            return Err(Status::unauthenticated(msg));
        }
        let message = request.into_inner();
        let bytes = message.encoded_len() as u64;
        let export = match intake
            .decode(move |arrival| decode(&message, arrival))
            .await
        {
            Ok(e) => e,
            Err(reject) => {
                let msg = reject.to_string();
                intake.refuse(reject, bytes).await;
                return Err(Status::invalid_argument(msg));
            }
        };
        intake
            .deliver(export, bytes)
            .await
            .map_err(|Busy| Status::unavailable("llmmon is falling behind; retry later"))
    }
}

#[tonic::async_trait]
impl TraceService for Otlp {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let a = self
            .accept(request, |m: &ExportTraceServiceRequest, arrival| {
                Ok(decode_traces(m, arrival))
            })
            .await?;
        Ok(Response::new(a.traces()))
    }
}

#[tonic::async_trait]
impl LogsService for Otlp {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        let a = self.accept(request, decode_logs).await?;
        Ok(Response::new(a.logs()))
    }
}

#[tonic::async_trait]
impl MetricsService for Otlp {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let a = self
            .accept(request, |m: &ExportMetricsServiceRequest, _| {
                Ok(decode_metrics(m))
            })
            .await?;
        Ok(Response::new(a.metrics()))
    }
}
