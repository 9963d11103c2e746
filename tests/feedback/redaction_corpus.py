"""A hand-made corpus of what Vietnamese citizens actually write in a PAKN, with the spans a
redactor must remove (issue #15 item 5). tests/feedback/redaction_scoring.py scores a
redactor against it.

Each sample is a sentence, the passages expected to be removed with their category, and the
sender's name when the redactor is told it (``known``). Samples without spans are negatives:
numbers and names that identify nobody and must stay.

Judgment calls (what a span covers and what is kept):
- A house marker belongs to the address ("nhà số 45 Trần Phú", "SN 21 Hùng Vương").
- The honorific or label stays, only the personal part goes: "anh [họ tên]", "STK
  [số tài khoản] Vietcombank", "Mr. [họ tên]". A bank's name identifies nobody.
- An address is the house number with its lanes and street ("số 12 ngõ 5 Lê Lợi"); the ward,
  commune, district and province after it stay ("phường Chi Lăng"): they locate the problem
  for the public and are shared by thousands of people. Villages, hamlets and residential
  groups ("thôn Bản Chắt", "tổ 5") are removed, as the redactor always did: a village is small
  enough to point at a family.
- A street named without a house number ("đèn đường trên phố Lê Lợi hỏng") is a place
  reference, not an address: PAKN are about public places and the answer needs it. Kept.
- Names of officials after their title are removed too ("Chủ tịch UBND xã [họ tên]"), as
  before; their title and agency stay.
- Dates, money, legal references ("Điều 12", "Nghị định 30/2020/NĐ-CP"), dispatch numbers,
  counts, hotlines of agencies, room and counter numbers, road numbers ("quốc lộ 4B") stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

NAME = "name"
PHONE = "phone"
EMAIL = "email"
ID = "id_number"
DOSSIER = "dossier_code"
ADDRESS = "address"
BANK = "bank_account"
PLATE = "vehicle_plate"


@dataclass(frozen=True)
class Sample:
    text: str
    spans: tuple[tuple[str, str], ...]
    known: tuple[str, ...] = ()


def S(text: str, *spans: tuple[str, str], known: Iterable[str] = ()) -> Sample:
    return Sample(text, tuple(spans), tuple(known))


BINH = ("Trần Văn Bình",)
LAN = ("Nguyễn Thị Lan",)
HOA = ("Vy Thị Hoa",)
AN = ("Nguyễn Văn An",)

CORPUS: list[Sample] = [
    # --- Addresses without a street word, and in the common forms. -------------------------
    S("Nhà tôi ở số 12 ngõ 5 Lê Lợi, phường Chi Lăng bị ngập.", ("số 12 ngõ 5 Lê Lợi", ADDRESS)),
    S("Gia đình tôi ở số 12 Lê Lợi từ năm 2010.", ("số 12 Lê Lợi", ADDRESS)),
    S("Đề nghị kiểm tra cống trước nhà số 45 Trần Phú.", ("nhà số 45 Trần Phú", ADDRESS)),
    S("Địa chỉ: 12 Lê Lợi, phường Vĩnh Trại, tỉnh Lạng Sơn.", ("12 Lê Lợi", ADDRESS)),
    S("Tôi trú tại 27/4 Nguyễn Du, phường Đông Kinh.", ("27/4 Nguyễn Du", ADDRESS)),
    S("Nhà tôi số 7 hẻm 34 Lý Thường Kiệt bị nứt tường.", ("số 7 hẻm 34 Lý Thường Kiệt", ADDRESS)),
    S("Ở số 12, ngõ 5, Lê Lợi có đống rác lâu ngày.", ("số 12, ngõ 5, Lê Lợi", ADDRESS)),
    S("Số nhà 18 tổ 3 khối 5 thị trấn Cao Lộc mất điện.", ("Số nhà 18 tổ 3 khối 5", ADDRESS)),
    S("Nhà tôi ở kiệt 45 Hoàng Diệu, mưa là ngập.", ("kiệt 45 Hoàng Diệu", ADDRESS)),
    S("Căn hộ 1203 tòa CT2 khu đô thị Phú Lộc bị thấm nước.", ("Căn hộ 1203 tòa CT2", ADDRESS)),
    S("Tôi ở số 12 đường Trần Hưng Đạo, phường Đông Kinh.",
      ("số 12 đường Trần Hưng Đạo", ADDRESS)),
    S("địa chỉ số nhà 45, ngõ 3, phố Lê Lợi", ("số nhà 45, ngõ 3, phố Lê Lợi", ADDRESS)),
    S("Gia đình tôi ở thôn Bản Chắt, xã Đình Lập.", ("thôn Bản Chắt", ADDRESS)),
    S("Nhà ở xóm Đồng Bục bị ngập sau mưa.", ("xóm Đồng Bục", ADDRESS)),
    S("Tổ dân phố 5 phường Chi Lăng chưa có đèn.", ("Tổ dân phố 5", ADDRESS)),
    S("hẻm 12/4 đường Lê Lai sạt lở", ("hẻm 12/4 đường Lê Lai", ADDRESS)),
    S("Nhà số 3 ngách 12/8 ngõ 40 Bà Triệu bị lún.",
      ("Nhà số 3 ngách 12/8 ngõ 40 Bà Triệu", ADDRESS)),
    S("Tôi ở 56 Lê Đại Hành, gần chợ.", ("56 Lê Đại Hành", ADDRESS)),
    S("nhà ở số 9 Ngô Quyền cạnh trường học", ("số 9 Ngô Quyền", ADDRESS)),
    S("Ông/Bà kiểm tra giúp số 102B Bạch Đằng.", ("số 102B Bạch Đằng", ADDRESS)),
    S("Địa chỉ liên hệ: số 5 ngõ 17 Tam Thanh, phường Tam Thanh.",
      ("số 5 ngõ 17 Tam Thanh", ADDRESS)),
    S("Tôi sống tại SN 21 Hùng Vương từ nhỏ.", ("SN 21 Hùng Vương", ADDRESS)),
    S("Nhà tôi ở ấp Tân Lập, xã Tân Phú.", ("ấp Tân Lập", ADDRESS)),
    S("Tôi ở bản Nà Pàn, xã Kiên Mộc, đường vào bản bị sạt.", ("bản Nà Pàn", ADDRESS)),
    S("Phòng 305 nhà A2 khu tập thể Bắc Sơn bị dột.", ("Phòng 305 nhà A2", ADDRESS)),
    S("ở số 14 ngõ 2 Đinh Tiên Hoàng, đã báo nhiều lần", ("số 14 ngõ 2 Đinh Tiên Hoàng", ADDRESS)),
    S("Nhà tôi số 88 Quang Trung, phường Chi Lăng.", ("số 88 Quang Trung", ADDRESS)),
    S("Tôi đang thuê trọ tại 15 ngõ 7 Mỹ Sơn.", ("15 ngõ 7 Mỹ Sơn", ADDRESS)),
    S("Nhà tôi ở 35 đường 17/8, phường Chi Lăng.", ("35 đường 17/8", ADDRESS)),
    # Street without a house number, agencies and legal references: kept.
    S("Đèn đường trên phố Lê Lợi hỏng cả tháng nay."),
    S("Đường Trần Hưng Đạo đoạn qua chợ bị ngập."),
    S("Công văn số 45 Sở Nội vụ gửi đến nay chưa thực hiện."),
    S("Quyết định số 12 UBND tỉnh ban hành năm 2024."),
    S("Quầy số 3 tại Trung tâm Phục vụ hành chính công đông người."),
    S("Theo Điều 12 Luật Tiếp công dân, tôi được trả lời."),
    S("Nghị định 30/2020/NĐ-CP quy định về công tác văn thư."),
    S("Tôi đã nộp số 12 hồ sơ cho con trong năm qua."),
    S("Phòng số 2 của Trung tâm không có người trực."),
    S("Khoảng 50 hộ dân phường Đông Kinh bị ảnh hưởng."),
    S("Trường THCS Lê Lợi thiếu phòng học."),
    S("Tờ trình số 15 của Sở Tài chính đã được duyệt."),
    S("Dịch vụ công số 1 Việt Nam mà phục vụ chậm thế này."),

    # --- Names: self-introductions, honorifics, the given name alone, officials. ------------
    S("Tôi tên là Nguyễn Văn An, sinh năm 1980.", ("Nguyễn Văn An", NAME)),
    S("Tôi là Lò Thị Hương, trú tại xã Đình Lập.", ("Lò Thị Hương", NAME)),
    S("Họ tên: Trần Thị Bích Ngọc", ("Trần Thị Bích Ngọc", NAME)),
    S("Ông Nguyễn Văn Bình đến nộp hồ sơ hôm qua.", ("Nguyễn Văn Bình", NAME)),
    S("bà Hoàng Thị Lan phản ánh việc thu phí", ("Hoàng Thị Lan", NAME)),
    S("chị Lan gọi lại cho tôi nhưng không được", ("Lan", NAME)),
    S("Giám đốc Sở Nội vụ Nguyễn Văn Hùng đã ký.", ("Nguyễn Văn Hùng", NAME)),
    S("Chủ tịch UBND xã Đình Lập Hoàng Văn Minh chưa trả lời.", ("Hoàng Văn Minh", NAME)),
    S("cán bộ địa chính Phạm Đức Long làm khó dân", ("Phạm Đức Long", NAME)),
    S("hộ gia đình do Lục Văn Páo làm chủ", ("Lục Văn Páo", NAME)),
    S("Kính mong các anh chị trả lời cho anh Bình sớm.", ("Bình", NAME), known=BINH),
    S("Bình xin cảm ơn Sở đã tiếp thu.", ("Bình", NAME), known=BINH),
    S("Mong Sở phản hồi cho Binh qua điện thoại.", ("Binh", NAME), known=BINH),
    S("TRẦN VĂN BÌNH KÍNH ĐỀ NGHỊ SỞ XEM XÉT.", ("TRẦN VĂN BÌNH", NAME), known=BINH),
    S("Tran Van Binh, nguoi dan phuong Chi Lang.", ("Tran Van Binh", NAME), known=BINH),
    S("Em Lan đã nộp đủ giấy tờ mà vẫn bị trả lại.", ("Lan", NAME), known=LAN),
    S("Cán bộ bảo Lan về bổ sung bản sao.", ("Lan", NAME), known=LAN),
    S("Hoa đã chờ từ 7 giờ sáng mà không được gọi.", ("Hoa", NAME), known=HOA),
    S("Gia đình chị Hoa mong được giải quyết.", ("Hoa", NAME), known=HOA),
    S("Tôi tên Bình, ở phường Chi Lăng.", ("Bình", NAME), known=BINH),
    S("Mong trả lời cho An sớm.", ("An", NAME), known=AN),
    S("An toàn giao thông ở tỉnh An Giang kém, mong các anh chị xem xét.", known=AN),
    S("Hồ sơ của tôi vẫn bình thường, cảm ơn Sở.", known=BINH),
    S("Tôi đi qua Bình Dương rồi mới về Lạng Sơn.", known=BINH),
    S("Hoa ban nở trắng đường lên xã, mong làm lại đường.", known=HOA),
    S("con gái tôi là Hà Thị Mai học lớp 5", ("Hà Thị Mai", NAME)),
    S("Người gửi: Đinh Công Tráng", ("Đinh Công Tráng", NAME)),
    S("cô Mai ở bộ phận một cửa rất nhiệt tình", ("Mai", NAME)),
    S("Đồng chí Vi Văn Thành, trưởng thôn, đã xác nhận.", ("Vi Văn Thành", NAME)),
    S("Tôi là Hoàng Thị Thu Trang, giáo viên.", ("Hoàng Thị Thu Trang", NAME)),
    S("Tôi tên là Ngọc, mẹ của cháu học lớp 2.", ("Ngọc", NAME)),
    # Foreign names after Mr./Ms./Mrs. and in self-introductions.
    S("Mr. John Smith, người nước ngoài thuê nhà, chưa được đăng ký tạm trú.",
      ("John Smith", NAME)),
    S("Ms. Anna Schmidt đã nộp hồ sơ cấp thẻ tạm trú.", ("Anna Schmidt", NAME)),
    S("Mrs. Lee bị từ chối nhận hồ sơ vì thiếu bản dịch.", ("Lee", NAME)),
    S("Chồng tôi là Mr Kim Min-jun, quốc tịch Hàn Quốc.", ("Kim Min-jun", NAME)),
    S("Ms O'Brien cần giấy xác nhận tình trạng hôn nhân.", ("O'Brien", NAME)),
    S("ông Peter Müller đến làm thủ tục kết hôn", ("Peter Müller", NAME)),
    S("My name is David Brown, I live in Lang Son.", ("David Brown", NAME)),
    S("Mr. Tanaka Hiroshi làm việc tại khu công nghiệp.", ("Tanaka Hiroshi", NAME)),
    S("Dear Mr. Nguyen, the form was rejected.", ("Nguyen", NAME)),
    S("Miss Sarah Jones hỏi về thủ tục cấp visa.", ("Sarah Jones", NAME)),
    # Not names.
    S("Ông/bà cho hỏi thủ tục cấp lại giấy khai sinh."),
    S("Chủ tịch UBND xã đã tiếp dân hôm thứ Hai."),
    S("bà con trong thôn rất vui khi có đường mới"),
    S("Anh em trong cơ quan đều nhiệt tình."),
    S("Chị em phụ nữ trong xã đề nghị mở lớp học nghề."),
    S("tỉnh Bà Rịa – Vũng Tàu đã làm tốt việc này"),
    S("Học tập và làm theo tấm gương Bác Hồ."),
    S("đường Nguyễn Văn Cừ bị ngập"),
    S("Gửi file bằng MS Word không được."),
    S("I am Vietnamese, sống ở nước ngoài, cần hướng dẫn làm hộ chiếu."),
    S("Cô giáo chủ nhiệm đã báo cho gia đình."),

    # --- Phones: in words, in odd groupings, international. ---------------------------------
    S("Số điện thoại của tôi là 0912345678.", ("0912345678", PHONE)),
    S("Liên hệ 09 12 34 56 78 để biết thêm.", ("09 12 34 56 78", PHONE)),
    S("ĐT: 0912.345.678", ("0912.345.678", PHONE)),
    S("Gọi +84-912-345-678 giờ hành chính.", ("+84-912-345-678", PHONE)),
    S("SĐT không chín một hai ba bốn năm sáu bảy tám, gọi sau 5 giờ.",
      ("không chín một hai ba bốn năm sáu bảy tám", PHONE)),
    S("số máy: không chín tám, ba bốn năm, sáu bảy tám chín",
      ("không chín tám, ba bốn năm, sáu bảy tám chín", PHONE)),
    S("Zalo 0 9 8 3 1 1 1 2 2 2 nhé", ("0 9 8 3 1 1 1 2 2 2", PHONE)),
    S("Điện thoại (+84) 983 111 222", ("(+84) 983 111 222", PHONE)),
    S("máy bàn 0205 387 1234 giờ hành chính", ("0205 387 1234", PHONE)),
    S("nhà tôi (0205) 3871234", ("(0205) 3871234", PHONE)),
    S("số cố định 024.3825.1234", ("024.3825.1234", PHONE)),
    S("Gọi 0356789012 hoặc 0708123456.", ("0356789012", PHONE), ("0708123456", PHONE)),
    S("gọi 0912345678 2 lần không ai nghe", ("0912345678", PHONE)),
    S("Zalo +84 912 345 678", ("+84 912 345 678", PHONE)),
    S("số 84912345678 không liên lạc được", ("84912345678", PHONE)),
    S("SĐT 091-234-5678 (vợ tôi)", ("091-234-5678", PHONE)),
    S("liên lạc qua số 0912 34 56 78", ("0912 34 56 78", PHONE)),
    S("Phone: +84 (0) 912 345 678", ("+84 (0) 912 345 678", PHONE)),
    S("ĐT: 0912/345/678", ("0912/345/678", PHONE)),
    S("Số của con tôi là không ba năm sáu bảy tám chín không một hai.",
      ("không ba năm sáu bảy tám chín không một hai", PHONE)),
    S("gọi vào số KHÔNG CHÍN MỘT HAI BA BỐN NĂM SÁU BẢY TÁM",
      ("KHÔNG CHÍN MỘT HAI BA BỐN NĂM SÁU BẢY TÁM", PHONE)),
    S("sđt: 0912_345_678", ("0912_345_678", PHONE)),
    S("ĐT 0912 345 678 - 0987 654 321", ("0912 345 678", PHONE), ("0987 654 321", PHONE)),
    S("dt O912345678 (chữ O thay số 0)", ("O912345678", PHONE)),
    # Not phones.
    S("Lệ phí 1.200.000 đồng mà không có biên lai."),
    S("Hẹn trả kết quả ngày 01/04/2025 lúc 15:00."),
    S("Tôi đã đi lại một hai lần rồi, chờ hai ba tiếng mỗi lần."),
    S("Tổng đài 1900 9090 của điện lực không ai nghe."),
    S("Đường dây nóng 1022 của tỉnh."),
    S("Dân số phường là 12.345 người."),
    S("Giai đoạn 2020-2025 tỉnh đã làm được nhiều việc."),
    S("Công văn số 0123/UBND-VP ngày 05/02/2025."),
    S("số tiền 150000000 đồng đã nộp đủ"),
    S("Hồ sơ hẹn 10 ngày làm việc, đến ngày thứ 15 vẫn chưa có."),

    # --- Emails, plain and obfuscated. ------------------------------------------------------
    S("Email: an.nguyen@example.vn", ("an.nguyen@example.vn", EMAIL)),
    S("Liên hệ binh [at] gmail.com giúp tôi.", ("binh [at] gmail.com", EMAIL)),
    S("mail của tôi: binh(a)gmail", ("binh(a)gmail", EMAIL)),
    S("gửi về binh @ gmail . com nhé", ("binh @ gmail . com", EMAIL)),
    S("email binh.tran (at) yahoo (dot) com", ("binh.tran (at) yahoo (dot) com", EMAIL)),
    S("thư điện tử: tranthib_1985@gmail.com", ("tranthib_1985@gmail.com", EMAIL)),
    S("EMAIL: BINH.TRAN@GMAIL.COM", ("BINH.TRAN@GMAIL.COM", EMAIL)),
    S("gmail: lan.nguyen1990 a còng gmail chấm com",
      ("lan.nguyen1990 a còng gmail chấm com", EMAIL)),
    S("mail binh[at]gmail[dot]com", ("binh[at]gmail[dot]com", EMAIL)),
    S("Email: hoa.vy@gmail,com (gõ nhầm)", ("hoa.vy@gmail,com", EMAIL)),
    S("Địa chỉ thư nguyenvana at gmail dot com", ("nguyenvana at gmail dot com", EMAIL)),
    S("gửi hồ sơ qua thanhhuong.ls@yahoo.com.vn", ("thanhhuong.ls@yahoo.com.vn", EMAIL)),
    S("email: binh(at)gmail.com", ("binh(at)gmail.com", EMAIL)),
    S("mail: tuan {at} outlook.com", ("tuan {at} outlook.com", EMAIL)),
    # Not emails.
    S("Tôi đã gửi qua gmail nhưng không thấy trả lời."),
    S("theo điểm (a) khoản 1 Điều 5 Nghị định 61/2018/NĐ-CP"),
    S("Các mục a) và b) của tờ khai không rõ."),
    S("Tôi ở nhà at weekend, gọi lúc nào cũng được."),

    # --- Bank account numbers. --------------------------------------------------------------
    S("STK 0123456789 Vietcombank, chủ tài khoản là tôi.", ("0123456789", BANK)),
    S("số tài khoản: 1903 5678 9012 34 tại Techcombank", ("1903 5678 9012 34", BANK)),
    S("tài khoản số 102345678901 VietinBank chi nhánh Lạng Sơn", ("102345678901", BANK)),
    S("chuyển vào TK 0451000123456 giúp tôi", ("0451000123456", BANK)),
    S("STK: 19035678901234 (Techcombank)", ("19035678901234", BANK)),
    S("số TK 123456789 Agribank", ("123456789", BANK)),
    S("Tiền hỗ trợ xin chuyển về số tài khoản 3100205123456 Agribank.",
      ("3100205123456", BANK)),
    S("stk 0071-0012-34567 VCB", ("0071-0012-34567", BANK)),
    S("Số TK: 8888 6666 8888 MB Bank", ("8888 6666 8888", BANK)),
    S("tài khoản ngân hàng BIDV số 21510001234567", ("21510001234567", BANK)),
    S("Tài khoản nhận: 0987654321 (MoMo)", ("0987654321", BANK)),
    S("STK Vietcombank 1012345678", ("1012345678", BANK)),
    # Not bank accounts.
    S("Tài khoản dịch vụ công của tôi bị khóa."),
    S("Tôi đã chuyển khoản 2.500.000 đồng nhưng chưa có biên lai."),
    S("Tài khoản định danh điện tử mức 2 đã được kích hoạt."),
    S("Ngân hàng Agribank chi nhánh huyện đóng cửa sớm."),

    # --- Vehicle plates. --------------------------------------------------------------------
    S("Xe ô tô biển số 12A-345.67 đỗ chắn lối đi.", ("12A-345.67", PLATE)),
    S("xe máy 29H1-123.45 bị tạm giữ quá hạn", ("29H1-123.45", PLATE)),
    S("Biển kiểm soát 51F 12345 vi phạm nhưng không bị phạt.", ("51F 12345", PLATE)),
    S("BKS 30A-12345 chạy vào làn khẩn cấp.", ("30A-12345", PLATE)),
    S("xe của tôi 29-B1 123.45 bị giữ ở trạm", ("29-B1 123.45", PLATE)),
    S("Xe 12B1 456.78 bị cẩu đi.", ("12B1 456.78", PLATE)),
    S("biển số xe 34B3-56789 chưa được trả", ("34B3-56789", PLATE)),
    S("Ô tô 12C-098.76 của hàng xóm lấn vỉa hè.", ("12C-098.76", PLATE)),
    S("xe tải BS 12H-00123 chở quá tải", ("12H-00123", PLATE)),
    S("Biển số: 30E 678.90", ("30E 678.90", PLATE)),
    S("đăng ký xe 12AA-123.45 chưa có kết quả", ("12AA-123.45", PLATE)),
    S("xe 12-B2 345.67 và xe 12C-111.22 đều bị phạt",
      ("12-B2 345.67", PLATE), ("12C-111.22", PLATE)),
    # Not plates.
    S("Quốc lộ 4B đoạn qua xã bị sạt lở."),
    S("Tòa nhà A1 không có thang máy cho người khuyết tật."),
    S("Theo mẫu 02A/TK của Bộ Tài chính."),
    S("Phòng 12A tầng 2 của Trung tâm."),

    # --- ID numbers and dossier codes (existing forms, for regression). ---------------------
    S("CCCD số 001203012345 cấp ngày 12/03/2021", ("001203012345", ID)),
    S("Căn cước công dân: 020190004567", ("020190004567", ID)),
    S("CMND 123456789 do Công an tỉnh cấp", ("123456789", ID)),
    S("Số CCCD: 0012 0301 2345", ("0012 0301 2345", ID)),
    S("mã số thuế cá nhân 8012345678", ("8012345678", ID)),
    S("Hồ sơ 000.00.15.H42-250312-0001 bị trễ hẹn.", ("000.00.15.H42-250312-0001", DOSSIER)),
    S("mã hồ sơ: H42.15-250312-0001", ("H42.15-250312-0001", DOSSIER)),
    S("hồ sơ số 2503/2025/HS-TTHC chưa giải quyết", ("2503/2025/HS-TTHC", DOSSIER)),
    S("Số biên nhận: BN-0458", ("BN-0458", DOSSIER)),

    # --- Several kinds in one message. ------------------------------------------------------
    S("Tôi là Trần Văn Bình, ở số 12 Lê Lợi, SĐT 0912.345.678, STK 0123456789 Vietcombank.",
      ("Trần Văn Bình", NAME), ("số 12 Lê Lợi", ADDRESS), ("0912.345.678", PHONE),
      ("0123456789", BANK), known=BINH),
    S("Anh Bình (binh [at] gmail.com) có xe 29H1-123.45 bị giữ.",
      ("Bình", NAME), ("binh [at] gmail.com", EMAIL), ("29H1-123.45", PLATE), known=BINH),
    S("Xin gửi lại cho chị Lan theo số 09 12 34 56 78 hoặc lan(a)gmail.",
      ("Lan", NAME), ("09 12 34 56 78", PHONE), ("lan(a)gmail", EMAIL), known=LAN),
    S("Ngày 12/03/2025 tôi nộp hồ sơ, lệ phí 50.000 đồng, hẹn 15 ngày.",),
    S("Mr. John Smith ở số 5 ngõ 17 Tam Thanh, ĐT +84-912-345-678.",
      ("John Smith", NAME), ("số 5 ngõ 17 Tam Thanh", ADDRESS), ("+84-912-345-678", PHONE)),
    S("Hoa ở xóm Đồng Bục, số tài khoản 3100205123456, nhờ Sở xem lại khoản hỗ trợ.",
      ("Hoa", NAME), ("xóm Đồng Bục", ADDRESS), ("3100205123456", BANK), known=HOA),
    S("Tôi tên là Nguyễn Văn An, xe 12A-345.67, gọi không chín một hai ba bốn năm sáu bảy tám.",
      ("Nguyễn Văn An", NAME), ("12A-345.67", PLATE),
      ("không chín một hai ba bốn năm sáu bảy tám", PHONE), known=AN),
    S("Sở Nội vụ tỉnh Lạng Sơn trả lời theo Thông tư 01/2018/TT-VPCP trong 10 ngày."),
    S("UBND phường Đông Kinh, thành phố Lạng Sơn đã nhận đơn ngày 3/5."),
    S("Trung tâm Phục vụ hành chính công tỉnh đã trả kết quả đúng hạn."),
    S("Tôi nộp 3 bộ hồ sơ, mỗi bộ 2 bản, tổng cộng 6 bản."),
    S("Hồ sơ nộp trực tuyến mức độ 4, giảm 20% thời gian."),
]

# Written after the detectors were built, then run once without changes to measure how they
# do on sentences they were not tuned on (the first figures are in bench/README.md); fixes
# that followed are general rules, not sentence by sentence.
HELD_OUT: list[Sample] = [
    S("Kính gửi Sở, tôi là Phùng Văn Khải ở số 23 Phai Vệ, xin phản ánh việc cấp sổ đỏ.",
      ("Phùng Văn Khải", NAME), ("số 23 Phai Vệ", ADDRESS)),
    S("Mọi thông tin xin liên hệ chị Ngân: 0977 123 456.", ("Ngân", NAME),
      ("0977 123 456", PHONE)),
    S("Con tôi là cháu Đàm Minh Khôi, học lớp 3 trường tiểu học.", ("Đàm Minh Khôi", NAME)),
    S("Gửi vào stk 2222 3333 4444 ngân hàng ACB tên chủ tài khoản Nguyễn Thị Huệ.",
      ("2222 3333 4444", BANK), ("Nguyễn Thị Huệ", NAME)),
    S("Xe máy biển 12K1-234.56 của tôi bị mất ở bãi giữ xe.", ("12K1-234.56", PLATE)),
    S("nhà tôi ở 102 Bà Triệu, phường Hoàng Văn Thụ", ("102 Bà Triệu", ADDRESS)),
    S("Email của tôi là khaipv.ls (at) gmail.com, mong sớm nhận phản hồi.",
      ("khaipv.ls (at) gmail.com", EMAIL)),
    S("Liên hệ: 0209.3871.234 (giờ hành chính).", ("0209.3871.234", PHONE)),
    S("Tôi tên Lương Thị Kim Oanh, sinh năm 1975.", ("Lương Thị Kim Oanh", NAME)),
    S("Ms. Maria Garcia, giáo viên tiếng Anh, chưa được cấp giấy phép lao động.",
      ("Maria Garcia", NAME)),
    S("SĐT: 039 888 7777", ("039 888 7777", PHONE)),
    S("Số nhà 5A ngõ 8 Nguyễn Thái Học bị mất nước ba ngày.",
      ("Số nhà 5A ngõ 8 Nguyễn Thái Học", ADDRESS)),
    S("Ô tô biển kiểm soát 12A 123.45 đi ngược chiều.", ("12A 123.45", PLATE)),
    S("Bác Tô Văn Chiến 80 tuổi phải đi lại 4 lần.", ("Tô Văn Chiến", NAME)),
    S("Tài khoản: 0351 0000 12345 Vietcombank Lạng Sơn", ("0351 0000 12345", BANK)),
    S("mail: hoangtuan.88[at]yahoo.com.vn", ("hoangtuan.88[at]yahoo.com.vn", EMAIL)),
    S("Tôi ở số 16 Lý Tự Trọng, gần cổng trường.", ("số 16 Lý Tự Trọng", ADDRESS)),
    S("Gọi cho tôi theo số không chín tám tám, bốn năm sáu, bảy tám chín.",
      ("không chín tám tám, bốn năm sáu, bảy tám chín", PHONE)),
    S("Anh Khải đã nộp đủ hồ sơ từ tháng trước.", ("Khải", NAME), known=("Phùng Văn Khải",)),
    S("Mong Sở trả lời cho Oanh qua email.", ("Oanh", NAME), known=("Lương Thị Kim Oanh",)),
    S("Mr. Robert Taylor đề nghị có bản tiếng Anh của thủ tục.", ("Robert Taylor", NAME)),
    S("Tôi thuê nhà ở 8/12 Trần Đăng Ninh từ năm ngoái.", ("8/12 Trần Đăng Ninh", ADDRESS)),
    S("+84 977 123 456 là số Zalo của tôi.", ("+84 977 123 456", PHONE)),
    S("xe tải 12C 045.67 chở vật liệu rơi vãi", ("12C 045.67", PLATE)),
    S("Chuyển khoản giúp tôi vào số tài khoản 109 876 543 210 VietinBank.",
      ("109 876 543 210", BANK)),
    # Negatives.
    S("Thông tư số 01/2018/TT-VPCP quy định chấm điểm bộ chỉ số."),
    S("Quyết định số 1001/QĐ-BNV ngày 15/12/2023 của Bộ Nội vụ."),
    S("Chiều 14/6 tôi gọi tổng đài 1022 nhưng máy bận."),
    S("Xin cảm ơn Sở Nội vụ tỉnh Lạng Sơn đã trả lời."),
    S("Tôi đã nộp 2 lần, mỗi lần 150.000 đồng."),
    S("Phố Kỳ Lừa về đêm rất tối, đề nghị lắp thêm đèn."),
    S("Trên quốc lộ 1A đoạn qua huyện Cao Lộc có nhiều ổ gà."),
    S("Khoản 2 Điều 28 Luật Tiếp công dân quy định rõ việc này."),
    S("Tôi đã gửi email nhiều lần nhưng không ai trả lời."),
    S("Bệnh viện Đa khoa tỉnh thu tiền không có biên lai."),
    S("Cổng dịch vụ công quốc gia báo lỗi mã 500 khi nộp hồ sơ."),
    S("Đề nghị Sở bố trí thêm 2 quầy tiếp nhận vào thứ Hai."),
    S("Xã Mẫu Sơn có 12 thôn nhưng chỉ có 1 điểm bưu điện."),
    S("Lãi suất vay 0,5% mỗi tháng là quá cao."),
    S("Ông Bà ta có câu: ăn quả nhớ kẻ trồng cây."),
]

ALL_SAMPLES = CORPUS + HELD_OUT
