use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let ctx = shared::app::context_from_env(kyc_download::NEEDS).await?;
    shared::http::run(move |req| kyc_download::handle(req, ctx)).await
}
