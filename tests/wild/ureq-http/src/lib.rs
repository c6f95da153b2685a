//! ureq 3's blocking client against a real HTTP server (`python3 -m http.server`, serving
//! the files `servers/start.sh` writes): the port in `HTTP_PORT`.

#[cfg(test)]
mod tests {
    fn url(path: &str) -> String {
        let port = std::env::var("HTTP_PORT").expect("HTTP_PORT names the server's port");
        format!("http://127.0.0.1:{port}/{path}")
    }

    #[test]
    fn a_small_file() {
        let body = ureq::get(&url("small.txt"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        assert_eq!(body, "hello from a real server\n");
    }

    #[test]
    fn a_large_file_arrives_whole() {
        let body = ureq::get(&url("large.bin"))
            .call()
            .unwrap()
            .body_mut()
            .with_config()
            .limit(4 << 20)
            .read_to_vec()
            .unwrap();
        assert_eq!(body.len(), 1 << 20);
        assert!(body.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
    }

    #[test]
    fn a_missing_file_is_404() {
        let err = ureq::get(&url("missing")).call().unwrap_err();
        assert!(matches!(err, ureq::Error::StatusCode(404)), "{err}");
    }

    #[test]
    fn two_requests_on_one_agent() {
        let agent = ureq::Agent::new_with_defaults();
        for _ in 0..2 {
            let body = agent.get(&url("small.txt")).call().unwrap();
            assert_eq!(body.status(), 200);
        }
    }
}
