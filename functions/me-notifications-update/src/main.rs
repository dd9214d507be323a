use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx =
        shared::app::cold_start::<me_notifications_update::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| me_notifications_update::handle(req, ctx)).await
}
