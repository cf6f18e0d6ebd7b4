"""Loading articles: files, directories, URLs (served from 127.0.0.1), JSON Lines, uploads."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from conftest import DEFAULT_ARTICLE, DEFAULT_ID

from retrieval.errors import BlockedURLError, SourceError
from retrieval.ingest.fetch import decode, fetch
from retrieval.ingest.sources import load_source, parse_document, url_article_id

BODY = (
    "서울시가 내년부터 한강 공원에 야간 도서관을 운영한다고 밝혔다.\n"
    "시는 여의도와 반포 두 곳에서 시범 운영한 뒤 이용자가 많으면 다른 공원으로 넓힐 계획이다.\n"
    "도서관은 오후 6시부터 밤 11시까지 문을 열며 책 3천 권을 갖춘다."
)

EUC_KR_PAGE = """<!doctype html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=euc-kr">
<title>똠방각하 재출간 소식 - 테스트일보</title></head>
<body>
<nav><a href="/">홈</a> <a href="/politics">정치</a> <a href="/economy">경제</a></nav>
<article><h1>똠방각하 재출간 소식</h1>
<p>소설 「똠방각하」가 삼십 년 만에 새 판으로 다시 나왔다. 출판사는 초판의 표기를 그대로 살렸다고 밝혔다.</p>
<p>작가는 기자간담회에서 "독자들이 다시 찾아 주어 고맙다"며 "개정판에는 새로 쓴 후기를 실었다"고 말했다.</p>
<p>재출간된 책은 전국 서점에서 이번 주부터 살 수 있으며 정가는 만 오천 원이다. 똠방각하의 뜻을 묻는 독자도 많았다.</p>
</article>
<aside><h2>많이 본 뉴스</h2><ul><li><a href="/1">한남4구역 시공사 결정</a></li><li><a href="/2">다른 기사</a></li></ul></aside>
<footer>Copyright ⓒ 테스트일보. All rights reserved. 무단 전재 및 재배포 금지</footer>
</body></html>"""

NAV_ONLY_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>테스트일보</title></head>
<body><nav><a href="/">홈</a> <a href="/a">정치</a> <a href="/b">경제</a> <a href="/c">사회</a></nav>
<div class="login"><a href="/login">로그인</a></div></body></html>"""


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


# ----- files and directories -------------------------------------------------------------------
def test_text_file_becomes_one_article_with_title_from_first_line(tmp_path):
    path = write(tmp_path / "야간 도서관.txt", "한강 야간 도서관 연다\n\n" + BODY)
    loaded = load_source(str(path))
    assert loaded.problems == []
    [art] = loaded.articles
    assert art.id == "야간-도서관"  # a safe id from the file name
    assert art.title == "한강 야간 도서관 연다"
    assert art.text == BODY
    assert art.source == str(path.resolve())


def test_default_article_loads_with_its_file_name_as_id():
    [art] = load_source(str(DEFAULT_ARTICLE)).articles
    assert art.id == DEFAULT_ID
    assert art.title.startswith("오세훈")


def test_directory_loads_every_supported_file_and_reports_bad_ones(tmp_path):
    write(tmp_path / "a.txt", "첫 기사\n" + BODY)
    write(tmp_path / "sub" / "b.md", "# 둘째 기사\n" + BODY.replace("한강", "청계천"))
    write(tmp_path / "c.jsonl", json.dumps({"id": "c1", "title": "셋째", "text": BODY}, ensure_ascii=False))
    write(tmp_path / "empty.txt", "   \n")
    write(tmp_path / "notes.pdf", "not an article")  # unsupported: ignored, not an error
    loaded = load_source(str(tmp_path))
    assert sorted(a.id for a in loaded.articles) == ["a", "b", "c1"]
    assert len(loaded.problems) == 1 and "empty.txt" in loaded.problems[0]


def test_html_file_with_a_legacy_charset_is_extracted_and_cleaned(tmp_path):
    path = tmp_path / "news" / "ttom.html"
    path.parent.mkdir()
    path.write_bytes(EUC_KR_PAGE.encode("cp949"))
    [art] = load_source(str(tmp_path / "news")).articles
    assert art.id == "ttom" and art.title == "똠방각하 재출간 소식"
    assert "소설 「똠방각하」가" in art.text and "한남4구역" not in art.text


def test_directory_without_articles_is_a_source_error(tmp_path):
    write(tmp_path / "notes.pdf", "x")
    with pytest.raises(SourceError, match="no .txt"):
        load_source(str(tmp_path))


def test_missing_path_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        load_source(str(tmp_path / "nope.txt"))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.pdf", b"%PDF-1.4", "unsupported file type"),
        ("a.txt", b"  \n\n ", "empty"),
        ("a.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("a.txt", "관련뉴스\n- 한남4구역 시공사 오늘 결정\n".encode(), "no article text"),
    ],
)
def test_bad_documents_are_refused_with_a_reason(name, data, message):
    with pytest.raises(SourceError, match=message):
        parse_document(name, data, "upload:x")


def test_legacy_korean_encodings_in_files_are_decoded(tmp_path):
    text = "똠방각하 이야기\n" + BODY + "\n똠방각하는 소설 제목이다."
    path = write(tmp_path / "cp949.txt", text, encoding="cp949")
    [art] = load_source(str(path)).articles
    assert art.title == "똠방각하 이야기"
    assert "똠방각하는 소설 제목이다." in art.text


# ----- JSON Lines --------------------------------------------------------------------------------
def test_jsonl_imports_good_lines_and_reports_bad_ones_by_line_number(tmp_path):
    lines = [
        json.dumps({"id": "n1", "title": "야간 도서관", "text": BODY, "url": "https://example.org/n1",
                    "published": "2024-01-10"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "n3", "title": "제목만"}, ensure_ascii=False),
        "",
        json.dumps(["a", "list"]),
        json.dumps({"id": "n6", "text": "둘째 기사 제목\n" + BODY}, ensure_ascii=False),
        json.dumps({"text": BODY}, ensure_ascii=False),
    ]
    path = write(tmp_path / "batch.jsonl", "\n".join(lines) + "\n")
    loaded = load_source(str(path))
    assert [a.id for a in loaded.articles] == ["n1", "n6"]
    n1, n6 = loaded.articles
    assert (n1.title, n1.url, n1.published) == ("야간 도서관", "https://example.org/n1", "2024-01-10")
    assert n1.text == BODY
    assert n6.title == "둘째 기사 제목"  # no title field: the first line is the title
    bad = {re.search(r"batch\.jsonl:(\d+): ", p).group(1) for p in loaded.problems}
    assert bad == {"2", "3", "5", "7"}, loaded.problems
    assert all(p.startswith(str(path.resolve()) + ":") for p in loaded.problems)
    assert any("missing text" in p for p in loaded.problems)
    assert any("missing id" in p for p in loaded.problems)
    [not_json] = [p for p in loaded.problems if "batch.jsonl:2:" in p]
    assert "column 2" in not_json and "line 1" not in not_json, "the file's line, not the JSON parser's"


def test_jsonl_with_nothing_in_it_is_reported(tmp_path):
    loaded = parse_document("x.jsonl", b"\n   \n{}\n", "upload:x.jsonl")
    assert loaded.articles == []
    assert loaded.problems


# ----- URLs -------------------------------------------------------------------------------------
def test_url_with_euc_kr_page_is_decoded_and_cleaned(pages):
    url = pages.add("/news/1", EUC_KR_PAGE.encode("cp949"), content_type="text/html")
    loaded = load_source(url)
    [art] = loaded.articles
    assert art.id == url_article_id(url)
    assert art.url == url
    assert art.title == "똠방각하 재출간 소식"
    assert "소설 「똠방각하」가 삼십 년 만에" in art.text
    assert "정가는 만 오천 원이다" in art.text
    for furniture in ("한남4구역", "무단 전재", "All rights reserved", "로그인", "홈"):
        assert furniture not in art.text


def test_url_charset_from_the_header_wins(pages):
    page = EUC_KR_PAGE.replace('<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">', "")
    url = pages.add("/hdr", page.encode("cp949"), content_type="text/html; charset=EUC-KR")
    [art] = load_source(url).articles
    assert "똠방각하" in art.title and "똠방각하" in art.text


def test_url_plain_text(pages):
    url = pages.add("/a.txt", "한강 야간 도서관\n" + BODY, content_type="text/plain; charset=utf-8")
    [art] = load_source(url).articles
    assert art.title == "한강 야간 도서관" and art.text == BODY and art.url == url


def test_url_redirect_is_followed(pages):
    target = pages.add("/final", "한강 야간 도서관\n" + BODY, content_type="text/plain; charset=utf-8")
    url = pages.add("/go", b"", status=302, content_type="text/plain", Location="/final")
    [art] = load_source(url).articles
    assert art.url == target
    assert art.source == url  # reload reads the address the person gave


def test_url_without_main_text_is_a_clear_source_error(pages):
    url = pages.add("/nav", NAV_ONLY_PAGE)
    with pytest.raises(SourceError, match="no article text"):
        load_source(url)


@pytest.mark.parametrize("status", [404, 500])
def test_url_http_error_is_a_source_error(pages, status):
    url = pages.add("/err", b"oops", status=status, content_type="text/plain")
    with pytest.raises(SourceError, match=str(status)):
        load_source(url)


def test_url_larger_than_the_limit_is_refused(pages):
    url = pages.add("/big", ("가" * 2000).encode(), content_type="text/plain; charset=utf-8")
    with pytest.raises(SourceError, match="larger than"):
        fetch(url, max_bytes=1000)


def test_a_page_that_trickles_in_is_cut_off_at_the_timeout():
    """Each read arrives in time, but the whole download would take minutes."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n")
            while not stop.wait(0.1):
                try:
                    conn.sendall(b"x")
                except OSError:
                    return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        with pytest.raises(SourceError, match="longer than 1 s"):
            fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/slow", timeout=1)
    finally:
        stop.set()
        listener.close()
        thread.join(5)
    assert time.monotonic() - started < 5


def test_unreachable_url_is_a_source_error():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SourceError, match="cannot fetch"):
        fetch(f"http://127.0.0.1:{port}/x", timeout=5)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://[::1]:9/x",
                                 "http://10.1.2.3/x", "http://169.254.169.254/latest"])
def test_private_addresses_are_blocked_when_not_allowed(url):
    with pytest.raises(BlockedURLError):
        load_source(url, allow_private=False)


def test_redirect_to_a_private_address_is_blocked(pages, monkeypatch):
    # A public-looking first hop that redirects to loopback: every hop is checked.
    from retrieval.ingest import fetch as fetch_mod

    url = pages.add("/go", b"", status=302, content_type="text/plain", Location="http://127.0.0.1:9/admin")
    real = fetch_mod.check_url
    calls = []

    def check(u, allow_private):
        calls.append(u)
        return real(u, allow_private or len(calls) == 1)  # let the first (loopback) hop through

    monkeypatch.setattr(fetch_mod, "check_url", check)
    with pytest.raises(BlockedURLError):
        fetch(url, allow_private=False)
    assert calls == [url, "http://127.0.0.1:9/admin"]


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "http://"])
def test_non_http_urls_are_refused(url):
    from retrieval.ingest.fetch import check_url

    with pytest.raises(SourceError):
        check_url(url, allow_private=True)


# ----- decoding -----------------------------------------------------------------------------------
@pytest.mark.parametrize("declared", ["euc-kr", "EUC-KR", "ks_c_5601-1987", "cp949"])
def test_cp949_only_syllables_decode_under_an_euc_kr_label(declared):
    text = "<html><body>똠방각하 뷁 햏 쀍</body></html>"
    assert decode(text.encode("cp949"), f"text/html; charset={declared}") == text


def test_undeclared_legacy_encoding_is_detected():
    text = "<p>" + BODY + " 똠방각하</p>"
    assert decode(text.encode("cp949"), "text/html") == text


def test_wrong_declared_charset_falls_back():
    assert decode("한국어 본문".encode(), "text/html; charset=no-such-charset") == "한국어 본문"
