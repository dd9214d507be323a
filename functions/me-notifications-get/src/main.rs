use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx =
        shared::app::cold_start::<me_notifications_get::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| me_notifications_get::handle(req, ctx)).await
}
