use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<me_calendar_get::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| me_calendar_get::handle(req, ctx)).await
}
