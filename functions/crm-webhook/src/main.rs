use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<crm_webhook::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| crm_webhook::handle(req, deps)).await
}
