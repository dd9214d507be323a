use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let ctx = shared::app::context_from_env(leads_list::NEEDS).await?;
    shared::http::run(move |req| leads_list::handle(req, ctx)).await
}
