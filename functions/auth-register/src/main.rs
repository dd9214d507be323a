use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let ctx = shared::app::context_from_env(auth_register::NEEDS).await?;
    shared::http::run(move |req| auth_register::handle(req, ctx)).await
}
