use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let ctx = shared::app::context_from_env(admin_kyc_review::NEEDS).await?;
    shared::http::run(move |req| admin_kyc_review::handle(req, ctx)).await
}
