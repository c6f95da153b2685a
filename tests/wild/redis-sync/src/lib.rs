//! redis 1.8's blocking client against a real redis-server, as its users test it: the
//! server's port in `REDIS_PORT`, each run's keys apart by `WOULDBLOCK_RUN_ID`.

#[cfg(test)]
mod tests {
    use redis::Commands;

    fn client() -> redis::Connection {
        let port = std::env::var("REDIS_PORT").expect("REDIS_PORT names the server's port");
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
        client.get_connection().unwrap()
    }

    /// A key of this run's own, so runs side by side do not share state.
    fn key(name: &str) -> String {
        let run = std::env::var("WOULDBLOCK_RUN_ID").unwrap_or_default();
        format!("wild:{run}:{name}")
    }

    #[test]
    fn set_then_get() {
        let mut con = client();
        let k = key("greeting");
        let _: () = con.set(&k, "hello").unwrap();
        let got: String = con.get(&k).unwrap();
        assert_eq!(got, "hello");
        let _: () = con.del(&k).unwrap();
    }

    #[test]
    fn twenty_increments() {
        let mut con = client();
        let k = key("counter");
        let _: () = con.del(&k).unwrap();
        for _ in 0..20 {
            let _: i64 = con.incr(&k, 1).unwrap();
        }
        let total: i64 = con.get(&k).unwrap();
        assert_eq!(total, 20);
        let _: () = con.del(&k).unwrap();
    }

    #[test]
    fn a_large_value_round_trips() {
        let mut con = client();
        let k = key("large");
        let value: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let _: () = con.set(&k, &value).unwrap();
        let got: Vec<u8> = con.get(&k).unwrap();
        assert_eq!(got, value);
        let _: () = con.del(&k).unwrap();
    }

    #[test]
    fn a_pipeline_answers_in_order() {
        let mut con = client();
        let k = key("list");
        let (_, _, _, items): ((), i64, i64, Vec<String>) = redis::pipe()
            .del(&k)
            .rpush(&k, "a")
            .rpush(&k, "b")
            .lrange(&k, 0, -1)
            .query(&mut con)
            .unwrap();
        assert_eq!(items, ["a", "b"]);
        let _: () = con.del(&k).unwrap();
    }

    #[test]
    fn a_wrong_type_is_an_error_not_a_hang() {
        let mut con = client();
        let k = key("string");
        let _: () = con.set(&k, "x").unwrap();
        let err = con.lpush::<_, _, i64>(&k, "y").unwrap_err();
        assert!(err.to_string().contains("WRONGTYPE"), "{err}");
        let _: () = con.del(&k).unwrap();
    }
}
