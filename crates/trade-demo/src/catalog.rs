//! What the demo world is made of: the buyer, the pool of suppliers a seed picks from,
//! their products and price ranges, and the phrases chats are built from. Plain data;
//! `world` turns it into records and `bot` into replies.
//!
//! Invariant: every pool here is non-empty (the pickers index into them).

use trade_model::Currency;

/// The demo buyer's contact and company (fixed: the credentials are printed on start).
pub const BUYER_NAME: &str = "Anna Becker";
pub const BUYER_FIRST_NAME: &str = "Anna";
pub const BUYER_COMPANY: &str = "Northwind Retail GmbH";
pub const BUYER_COUNTRY: &str = "DE";

pub const OPERATOR_NAME: &str = "Trade Center Dispute Team";

pub struct ProductProfile {
    pub name: &'static str,
    /// The unit of order lines ("pieces"); `each` is its singular for prices ("piece").
    pub unit: &'static str,
    pub each: &'static str,
    /// Unit price range in minor units of the supplier's currency.
    pub price: (i64, i64),
    /// Quantities buyers ask for.
    pub quantities: &'static [u64],
    pub moq: u64,
}

pub struct SupplierProfile {
    pub company: &'static str,
    pub country: &'static str,
    pub contact: &'static str,
    /// Local part of the demo email (`<local>@demo.tradecenter.test`).
    pub email_local: &'static str,
    pub port: &'static str,
    pub currency: Currency,
    pub certificates: &'static str,
    pub products: &'static [ProductProfile],
}

impl SupplierProfile {
    pub fn first_name(&self) -> &'static str {
        self.contact.split(' ').next().unwrap_or(self.contact)
    }
}

const fn product(
    name: &'static str,
    unit: &'static str,
    each: &'static str,
    price: (i64, i64),
    quantities: &'static [u64],
    moq: u64,
) -> ProductProfile {
    ProductProfile {
        name,
        unit,
        each,
        price,
        quantities,
        moq,
    }
}

/// Suppliers by country; a world takes two from China and one from each other group,
/// so every seed has suppliers in CN, VN, IN and TR.
pub const CHINA: &[SupplierProfile] = &[
    SupplierProfile {
        company: "Shenzhen Brightway Lighting Co., Ltd.",
        country: "CN",
        contact: "Lina Chen",
        email_local: "lina.chen",
        port: "Shenzhen (Yantian)",
        currency: Currency::USD,
        certificates: "CE, RoHS and LM-80 test reports",
        products: &[
            product(
                "LED panel light 600x600 40W",
                "pieces",
                "piece",
                (890, 1390),
                &[500, 1000, 2000],
                300,
            ),
            product(
                "LED high bay light 150W",
                "pieces",
                "piece",
                (2790, 4190),
                &[100, 200, 300],
                50,
            ),
            product(
                "LED T8 tube 18W 1200 mm",
                "pieces",
                "piece",
                (125, 260),
                &[2000, 5000],
                1000,
            ),
            product(
                "LED flood light 100W IP66",
                "pieces",
                "piece",
                (1490, 2590),
                &[200, 500],
                100,
            ),
        ],
    },
    SupplierProfile {
        company: "Ningbo Hengda Valve Co., Ltd.",
        country: "CN",
        contact: "Wei Zhang",
        email_local: "wei.zhang",
        port: "Ningbo",
        currency: Currency::USD,
        certificates: "CE/PED and WRAS certificates",
        products: &[
            product(
                "Brass ball valve DN25 PN16",
                "pieces",
                "piece",
                (245, 420),
                &[1000, 3000],
                500,
            ),
            product(
                "Stainless steel gate valve DN50",
                "pieces",
                "piece",
                (1790, 2890),
                &[200, 400],
                100,
            ),
            product(
                "Wafer butterfly valve DN100",
                "pieces",
                "piece",
                (2190, 3490),
                &[100, 300],
                50,
            ),
            product(
                "Brass check valve DN40",
                "pieces",
                "piece",
                (590, 950),
                &[500, 1000],
                300,
            ),
        ],
    },
    SupplierProfile {
        company: "Guangzhou Apex Packaging Co., Ltd.",
        country: "CN",
        contact: "Kevin Liu",
        email_local: "kevin.liu",
        port: "Guangzhou (Nansha)",
        currency: Currency::USD,
        certificates: "FSC certificate and food-contact test reports",
        products: &[
            product(
                "Corrugated shipping box 40x30x20 cm",
                "pieces",
                "piece",
                (35, 70),
                &[10000, 20000],
                5000,
            ),
            product(
                "Kraft paper bag with twisted handle",
                "pieces",
                "piece",
                (12, 30),
                &[20000, 50000],
                10000,
            ),
            product(
                "Printed gift box with magnetic lid",
                "pieces",
                "piece",
                (90, 160),
                &[2000, 5000],
                1000,
            ),
        ],
    },
];

pub const VIETNAM: &[SupplierProfile] = &[
    SupplierProfile {
        company: "Saigon Textile & Garment JSC",
        country: "VN",
        contact: "Mai Nguyen",
        email_local: "mai.nguyen",
        port: "Ho Chi Minh City (Cat Lai)",
        currency: Currency::USD,
        certificates: "OEKO-TEX Standard 100 and a BSCI audit",
        products: &[
            product(
                "Men's polo shirt, cotton pique",
                "pieces",
                "piece",
                (380, 620),
                &[1000, 2000, 3000],
                500,
            ),
            product(
                "Cotton twill fabric 240 gsm",
                "meters",
                "meter",
                (210, 340),
                &[3000, 5000],
                1500,
            ),
            product(
                "Recycled polyester tote bag",
                "pieces",
                "piece",
                (95, 180),
                &[2000, 5000],
                1000,
            ),
        ],
    },
    SupplierProfile {
        company: "Hanoi Bamboo Crafts Co., Ltd.",
        country: "VN",
        contact: "Duc Tran",
        email_local: "duc.tran",
        port: "Hai Phong",
        currency: Currency::USD,
        certificates: "FSC and LFGB food-contact reports",
        products: &[
            product(
                "Bamboo cutting board set of 3",
                "sets",
                "set",
                (420, 690),
                &[500, 1000],
                300,
            ),
            product(
                "Bamboo storage basket with lid",
                "pieces",
                "piece",
                (310, 520),
                &[500, 1000, 2000],
                300,
            ),
            product(
                "Bamboo serving tray 40x30 cm",
                "pieces",
                "piece",
                (260, 450),
                &[600, 1200],
                300,
            ),
        ],
    },
];

pub const INDIA: &[SupplierProfile] = &[
    SupplierProfile {
        company: "Tirupur Knit Exports Pvt. Ltd.",
        country: "IN",
        contact: "Ravi Kumar",
        email_local: "ravi.kumar",
        port: "Chennai",
        currency: Currency::USD,
        certificates: "GOTS and OEKO-TEX certificates",
        products: &[
            product(
                "Organic cotton T-shirt 180 gsm",
                "pieces",
                "piece",
                (290, 460),
                &[1000, 2500, 5000],
                500,
            ),
            product(
                "Kids' cotton pyjama set",
                "sets",
                "set",
                (520, 780),
                &[600, 1200],
                300,
            ),
            product(
                "Cotton bed sheet set, queen, 300 TC",
                "sets",
                "set",
                (1150, 1700),
                &[300, 600],
                200,
            ),
        ],
    },
    SupplierProfile {
        company: "Pune Precision Castings Pvt. Ltd.",
        country: "IN",
        contact: "Anil Deshpande",
        email_local: "anil.deshpande",
        port: "Nhava Sheva (Mumbai)",
        currency: Currency::USD,
        certificates: "ISO 9001 and EN 1563 material certificates",
        products: &[
            product(
                "Ductile iron pipe flange DN80",
                "pieces",
                "piece",
                (1090, 1650),
                &[200, 500],
                100,
            ),
            product(
                "Cast iron pump impeller 200 mm",
                "pieces",
                "piece",
                (2590, 3890),
                &[100, 200],
                50,
            ),
            product(
                "Grey iron manhole cover 600 mm",
                "pieces",
                "piece",
                (4190, 6290),
                &[50, 100],
                30,
            ),
        ],
    },
];

pub const TURKEY: &[SupplierProfile] = &[
    SupplierProfile {
        company: "Anatolia Seramik Sanayi A.S.",
        country: "TR",
        contact: "Emre Yilmaz",
        email_local: "emre.yilmaz",
        port: "Istanbul (Ambarli)",
        currency: Currency::EUR,
        certificates: "CE marking and EN 14411 test reports",
        products: &[
            product(
                "Porcelain floor tile 60x60 polished",
                "sqm",
                "sqm",
                (950, 1450),
                &[800, 1500],
                500,
            ),
            product(
                "Glazed wall tile 30x60",
                "sqm",
                "sqm",
                (620, 900),
                &[1000, 2000],
                500,
            ),
            product(
                "Ceramic dinner plate 27 cm",
                "pieces",
                "piece",
                (180, 310),
                &[3000, 6000],
                1000,
            ),
        ],
    },
    SupplierProfile {
        company: "Bursa Towel Tekstil Ltd. Sti.",
        country: "TR",
        contact: "Elif Demir",
        email_local: "elif.demir",
        port: "Gemlik (Bursa)",
        currency: Currency::EUR,
        certificates: "OEKO-TEX Standard 100",
        products: &[
            product(
                "Turkish cotton bath towel 70x140 cm",
                "pieces",
                "piece",
                (520, 790),
                &[1000, 2000],
                500,
            ),
            product(
                "Hammam towel 90x180 cm",
                "pieces",
                "piece",
                (410, 650),
                &[1000, 2000],
                500,
            ),
            product(
                "Waffle hotel bathrobe",
                "pieces",
                "piece",
                (1450, 2100),
                &[300, 600],
                200,
            ),
        ],
    },
];

/// Placeholders: {product} {qty} {unit} {each} {price} {port} {moq} {lead} {certs}
/// {contact} {buyer}.
pub const OPENINGS: &[&str] = &[
    "Hello {contact}, we are a retail chain in Germany looking for {product}. Could you quote {qty} {unit}, delivered by sea to Hamburg? Please include the packing details.",
    "Hi, I found your {product} on Trade Center. What is your best price for {qty} {unit} FOB {port}, and what is your MOQ?",
    "Good morning {contact}, Northwind Retail is sourcing {product} for our spring range. Please send your price for {qty} {unit} and your production lead time.",
    "Dear {contact}, we need a quotation for {qty} {unit} of {product}, shipping by sea to Hamburg. Can you also share your certificates?",
];

pub const QUOTES: &[&str] = &[
    "Dear {buyer}, thank you for your inquiry. For {qty} {unit} of {product} our price is {price} per {each} FOB {port}. MOQ is {moq} {unit}; lead time is about {lead} days after the order is confirmed.",
    "Hello {buyer}, nice to meet you. {product}: {price} per {each} FOB {port} for {qty} {unit}. Production takes {lead} days and we ship from {port} every week.",
    "Hi {buyer}, here is our quotation: {price} per {each}, FOB {port}, valid for 30 days. Packing: export cartons on pallets. Lead time {lead} days, MOQ {moq} {unit}.",
];

/// A buyer follow-up and the supplier answers that fit it.
pub struct FollowUp {
    pub kind: FollowUpKind,
    pub questions: &'static [&'static str],
    pub answers: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpKind {
    Sample,
    Certificates,
    /// Changes the agreed quantity and price: {qty2} {price2}.
    Discount,
    Packaging,
    PaymentTerms,
}

pub const FOLLOW_UPS: &[FollowUp] = &[
    FollowUp {
        kind: FollowUpKind::Sample,
        questions: &[
            "Thanks. Can you send two samples by express before we place the order? We will pay the courier.",
            "Could we get a pre-production sample first? Our QA team has to approve it.",
        ],
        answers: &[
            "Yes, samples are ready in 3 days. We will send them by DHL and post the tracking number here.",
            "Sure, we can send samples this week. The sample cost is refunded with the first order.",
        ],
    },
    FollowUp {
        kind: FollowUpKind::Certificates,
        questions: &[
            "Do you have test reports for this item? Our compliance team needs them before ordering.",
            "Which certificates can you provide for the EU market?",
        ],
        answers: &[
            "Yes, we have {certs}. The reports are from this year; I can attach them to the order.",
            "All our products come with {certs}, so there is no problem for the EU market.",
        ],
    },
    FollowUp {
        kind: FollowUpKind::Discount,
        questions: &[
            "The price is a bit above our target. Could you do better if we order {qty2} {unit}?",
            "If we increase the quantity to {qty2} {unit}, what is your best price?",
        ],
        answers: &[
            "For {qty2} {unit} we can offer {price2} per {each}. That is our best price.",
            "OK, for {qty2} {unit} we can do {price2} per {each}, same packing and lead time.",
        ],
    },
    FollowUp {
        kind: FollowUpKind::Packaging,
        questions: &[
            "Can you print our logo on the cartons and add EAN barcode labels?",
            "We need retail packaging with our own design. Is that possible?",
        ],
        answers: &[
            "No problem: logo printing on the cartons is free above {moq} {unit}, and EAN labels are included.",
            "Yes, please send your artwork as PDF; our designer will prepare a mock-up for your approval.",
        ],
    },
    FollowUp {
        kind: FollowUpKind::PaymentTerms,
        questions: &[
            "Which payment terms do you accept? We prefer 30% deposit and the balance before shipment.",
            "Can we pay by credit card through Trade Center?",
        ],
        answers: &[
            "30% deposit and the balance before shipment is fine. Please pay through Trade Center to the designated account only.",
            "Yes, card or telegraphic transfer through Trade Center both work for us.",
        ],
    },
];

pub const NUDGES: &[&str] = &[
    "Hi {buyer}, just checking whether you had a chance to review our offer?",
    "We have free production capacity next month, so we could start right after your confirmation.",
    "By the way, our new catalogue for {product} is ready; happy to send it if useful.",
];

pub const FEEDBACK: &[(u8, &str)] = &[
    (
        5,
        "Excellent quality and fast communication. Will order again.",
    ),
    (5, "Goods exactly as in the samples, well packed."),
    (
        4,
        "Good quality; shipment was a few days late but well handled.",
    ),
];

pub const REMARKS: &[&str] = &[
    "Packed in export cartons on pallets; EAN label on every carton.",
    "Shipping marks: NORTHWIND / HAMBURG / PO number / carton no.",
    "Pre-shipment inspection by the buyer's agent before loading.",
    "Quality as per approved sample. Moisture-proof packing.",
];

/// Ocean, air and rail carriers with the shape of their tracking numbers: a prefix and
/// a number of digits.
pub const SEA_CARRIERS: &[(&str, &str, usize)] = &[
    ("Maersk", "MAEU", 9),
    ("COSCO Shipping", "COSU", 10),
    ("Hapag-Lloyd", "HLCU", 8),
    ("MSC", "MEDU", 7),
];
pub const AIR_CARRIERS: &[(&str, &str, usize)] = &[("DHL Express", "", 10), ("FedEx", "", 12)];
pub const RAIL_CARRIERS: &[(&str, &str, usize)] = &[("DB Cargo Eurasia", "DBCE", 8)];

/// Replies the bot chooses from, by what the buyer asked about. Placeholders: {product}
/// {buyer} {contact}.
pub struct ReplyTopic {
    /// Lower-case words that make a message about this topic.
    pub keywords: &'static [&'static str],
    pub replies: &'static [&'static str],
}

pub const REPLY_TOPICS: &[ReplyTopic] = &[
    ReplyTopic {
        keywords: &["price", "quote", "cost", "discount", "cheaper", "offer"],
        replies: &[
            "Thank you {buyer}. For {product} we can keep last month's price and give 3% off for a full container. I will update the quotation today.",
            "Hi {buyer}, our best price for {product} depends on the quantity: above the MOQ we can offer another 2%. Shall I prepare an order?",
        ],
    },
    ReplyTopic {
        keywords: &["sample", "samples"],
        replies: &[
            "Sure {buyer}, samples of {product} can leave our factory within 3 days by DHL. I will post the tracking number here.",
            "Yes, we keep {product} samples in stock. We can send them tomorrow; the cost is refunded with the first order.",
        ],
    },
    ReplyTopic {
        keywords: &[
            "deliver",
            "delivery",
            "lead time",
            "ship",
            "shipping",
            "when",
            "eta",
        ],
        replies: &[
            "Hi {buyer}, production of {product} takes about 25 days; the vessel to Hamburg then needs around 30 days.",
            "We can ship {product} within 3 weeks after the order is confirmed. I will share the booking details as soon as we have them.",
        ],
    },
    ReplyTopic {
        keywords: &[
            "certificate",
            "certificates",
            "report",
            "test",
            "ce",
            "rohs",
            "oeko",
            "quality",
        ],
        replies: &[
            "Dear {buyer}, all test reports for {product} are valid for this year. I can attach them to the order documents.",
            "Yes, our quality team inspects every batch of {product} before packing and we provide the inspection report.",
        ],
    },
    ReplyTopic {
        keywords: &[
            "pay", "payment", "deposit", "transfer", "tt", "bank", "invoice",
        ],
        replies: &[
            "Thank you {buyer}. Please pay only through Trade Center to the designated account shown on the payment page; we never change bank details by chat.",
            "Card or telegraphic transfer through Trade Center both work for us. Please use the payment reference from the payment page.",
        ],
    },
];

/// When nothing in the message matches a topic.
pub const GENERIC_REPLIES: &[&str] = &[
    "Thank you for your message, {buyer}. I checked with our team and will come back with the details for {product} today.",
    "Hi {buyer}, well received. Let me confirm with production and I will update you about {product} shortly.",
    "Thanks {buyer}! Noted for {product}. Is there anything else you need before placing the order?",
];

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in vars {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// One element of a non-empty constant pool.
pub fn pick<'a, T>(rng: &mut impl rand::Rng, pool: &'a [T]) -> &'a T {
    // Invariant: the pools of this module are non-empty constants.
    &pool[rng.random_range(0..pool.len())]
}

/// FNV-1a over the seed and some text: a stable choice that does not depend on the
/// Rust version (unlike `DefaultHasher`).
pub fn stable_hash(seed: u64, text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed.to_le_bytes().iter().chain(text.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A carrier for `method` and a tracking number in that carrier's format.
pub fn tracking(
    rng: &mut impl rand::Rng,
    method: trade_model::order::ShippingMethod,
) -> (String, String) {
    use trade_model::order::ShippingMethod;
    let pool = match method {
        ShippingMethod::Air | ShippingMethod::Express => AIR_CARRIERS,
        ShippingMethod::Rail => RAIL_CARRIERS,
        ShippingMethod::Sea | ShippingMethod::Land => SEA_CARRIERS,
    };
    let (carrier, prefix, digits) = *pick(rng, pool);
    let number: String = std::iter::once(char::from(b'1' + rng.random_range(0..9u8)))
        .chain((1..digits).map(|_| char::from(b'0' + rng.random_range(0..10u8))))
        .collect();
    (carrier.to_owned(), format!("{prefix}{number}"))
}

/// What the bot answers to a buyer's `message` about `product`: a reply on the topic the
/// message is about (prices, samples, delivery, certificates, payment), chosen by the
/// seed and the message text, so the same conversation gets the same answers.
pub fn reply(seed: u64, product: &str, buyer_first_name: &str, message: &str) -> String {
    let lower = message.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let topic = REPLY_TOPICS.iter().find(|t| {
        t.keywords.iter().any(|k| {
            if k.contains(' ') {
                lower.contains(k)
            } else {
                words.contains(k)
            }
        })
    });
    let pool = topic.map_or(GENERIC_REPLIES, |t| t.replies);
    let hash = stable_hash(seed, message);
    // Invariant: reply pools are non-empty, so the modulo is a valid index.
    let template = pool[(hash % pool.len() as u64) as usize];
    fill(
        template,
        &[("product", product), ("buyer", buyer_first_name)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn replies_follow_the_topic_and_are_stable() {
        let a = reply(42, "LED panel", "Anna", "What is the price for 2000 pcs?");
        assert_eq!(
            a,
            reply(42, "LED panel", "Anna", "What is the price for 2000 pcs?")
        );
        assert!(
            REPLY_TOPICS[0]
                .replies
                .iter()
                .any(|t| fill(t, &[("product", "LED panel"), ("buyer", "Anna")]) == a),
            "{a}"
        );
        let generic = reply(42, "LED panel", "Anna", "Hello there");
        assert!(generic.contains("LED panel") && generic.contains("Anna"));
        // "test" is a certificate keyword, "latest" is not.
        let cert = reply(1, "valve", "Anna", "Please send the test results");
        assert!(
            REPLY_TOPICS[3]
                .replies
                .iter()
                .any(|t| fill(t, &[("product", "valve"), ("buyer", "Anna")]) == cert)
        );
    }

    #[test]
    fn tracking_numbers_have_the_carriers_shape() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for _ in 0..20 {
            let (carrier, number) = tracking(&mut rng, trade_model::order::ShippingMethod::Sea);
            let (_, prefix, digits) = SEA_CARRIERS
                .iter()
                .find(|(c, _, _)| *c == carrier)
                .expect("a sea carrier");
            assert!(number.starts_with(prefix));
            assert_eq!(number.len(), prefix.len() + digits);
        }
    }
}
