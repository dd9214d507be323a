use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let ctx = shared::app::context_from_env(partner_field_options::NEEDS).await?;
    shared::http::run(move |req| partner_field_options::handle(req, ctx)).await
}
