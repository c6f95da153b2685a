//! redis 1.8's async client (`tokio-comp`, a multiplexed connection on tokio's
//! current-thread runtime) against a real redis-server: the port in `REDIS_PORT`, each
//! run's keys apart by `WOULDBLOCK_RUN_ID`.

#[cfg(test)]
mod tests {
    use redis::AsyncCommands;

    async fn connection() -> redis::aio::MultiplexedConnection {
        let port = std::env::var("REDIS_PORT").expect("REDIS_PORT names the server's port");
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
        client.get_multiplexed_async_connection().await.unwrap()
    }

    fn key(name: &str) -> String {
        let run = std::env::var("WOULDBLOCK_RUN_ID").unwrap_or_default();
        format!("wild-async:{run}:{name}")
    }

    #[tokio::test(flavor = "current_thread")]
    async fn set_then_get() {
        let mut con = connection().await;
        let k = key("greeting");
        let _: () = con.set(&k, "hello").await.unwrap();
        let got: String = con.get(&k).await.unwrap();
        assert_eq!(got, "hello");
        let _: () = con.del(&k).await.unwrap();
    }

    #[tokio::test(flavor = "current_thread")]
    async fn twenty_increments_at_once() {
        let con = connection().await;
        let k = key("counter");
        let _: () = con.clone().del(&k).await.unwrap();
        // Twenty requests in flight at once on one multiplexed connection.
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (mut con, k) = (con.clone(), k.clone());
                tokio::spawn(async move { con.incr::<_, _, i64>(&k, 1).await.unwrap() })
            })
            .collect();
        let mut seen = Vec::new();
        for task in tasks {
            seen.push(task.await.unwrap());
        }
        seen.sort_unstable();
        assert_eq!(seen, (1..=20).collect::<Vec<_>>());
        let _: () = con.clone().del(&k).await.unwrap();
    }
}
