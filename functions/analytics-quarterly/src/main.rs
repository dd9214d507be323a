use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx =
        shared::app::cold_start::<analytics_quarterly::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| analytics_quarterly::handle(req, ctx)).await
}
