//! tungstenite 0.30 (blocking, over std's `TcpStream`) against a real WebSocket echo server
//! (`servers/ws_echo.py`, python3-websockets): the port in `WS_PORT`.

#[cfg(test)]
mod tests {
    use tungstenite::Message;

    fn connect() -> tungstenite::WebSocket<std::net::TcpStream> {
        let port = std::env::var("WS_PORT").expect("WS_PORT names the server's port");
        let stream = std::net::TcpStream::connect(("127.0.0.1", port.parse().unwrap())).unwrap();
        let url = format!("ws://127.0.0.1:{port}/");
        tungstenite::client(url, stream).unwrap().0
    }

    #[test]
    fn a_text_message_echoes() {
        let mut ws = connect();
        ws.send(Message::text("hello")).unwrap();
        assert_eq!(ws.read().unwrap(), Message::text("hello"));
        ws.close(None).unwrap();
    }

    #[test]
    fn a_large_binary_message_echoes() {
        let mut ws = connect();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        ws.send(Message::binary(data.clone())).unwrap();
        assert_eq!(ws.read().unwrap(), Message::binary(data));
        ws.close(None).unwrap();
    }

    #[test]
    fn ten_messages_in_order() {
        let mut ws = connect();
        for i in 0..10 {
            ws.send(Message::text(i.to_string())).unwrap();
        }
        for i in 0..10 {
            assert_eq!(ws.read().unwrap(), Message::text(i.to_string()));
        }
        ws.close(None).unwrap();
    }
}
