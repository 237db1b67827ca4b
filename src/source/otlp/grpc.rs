//! OTLP/gRPC: the generated `TraceService`, `LogsService` and `MetricsService` servers of
//! `opentelemetry-proto`, with gzip accepted, the body limit as the largest message, and
//! the same token check, decoding and backpressure as OTLP/HTTP.

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
use std::sync::Arc;
use tokio::net::TcpListener;
use tonic::codec::CompressionEncoding;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

/// Serves the three OTLP services on `listener` until it fails.
pub(super) async fn serve(
    listener: TcpListener,
    intake: Arc<Intake>,
) -> Result<(), tonic::transport::Error> {
    let limit = intake.opts.max_body_bytes;
    let timeout = intake.opts.read_timeout;
    let svc = Otlp(intake);
    tonic::transport::Server::builder()
        .timeout(timeout)
        .concurrency_limit_per_connection(16)
        .add_service(
            TraceServiceServer::new(svc.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit),
        )
        .add_service(
            LogsServiceServer::new(svc.clone())
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit),
        )
        .add_service(
            MetricsServiceServer::new(svc)
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit),
        )
        .serve_with_incoming(TcpIncoming::from(listener))
        .await
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
        let a = self.accept(request, decode_traces).await?;
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
