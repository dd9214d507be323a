use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<calendar_feed::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| calendar_feed::handle(req, ctx)).await
}
