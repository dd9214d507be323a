use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let config = crm_webhook::Config::read(&shared::config::ProcessEnv)?;
    let sdk = shared::aws::sdk_config().await;
    let deps: &'static crm_webhook::Deps =
        Box::leak(Box::new(crm_webhook::Deps::new(&config, &sdk).await?));
    shared::http::run(move |req| crm_webhook::handle(req, deps)).await
}
