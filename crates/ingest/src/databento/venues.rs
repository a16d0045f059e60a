//! Databento publisher ids to our venue codes (ThetaData's numbering, `model::venues`).
//!
//! A publisher is a dataset and a venue (`OPRA.PILLAR.XCBO` is 22, `XNAS.ITCH.XNAS` is 2,
//! `DBEQ.BASIC.IEXG` is 41); the `dbn` crate knows each one's venue, and we map venues. Venues
//! our numbering has no code for (MIAX Emerald and Sapphire, IEX Options, MEMX MX2, Cboe BYX and
//! EDGA, Nasdaq PSX, the NYSE TRF, ...) and unknown publishers become `venue::UNKNOWN`.

use dbn::{Publisher, Venue};
use model::venues::{Venue as Code, venue};

/// ThetaData's codes for NYSE National (the old National Stock Exchange, "CINC") and NYSE
/// Chicago (the old Chicago Stock Exchange, "CHIC"), which `model::venues` does not name.
const NYSE_NATIONAL: Code = 8;
const NYSE_CHICAGO: Code = 17;

fn code(v: Venue) -> Code {
    match v {
        // Stock exchanges and reporting facilities.
        Venue::Xnas => venue::NASDAQ,
        Venue::Xbos => venue::NASDAQ_BX,
        Venue::Bats => venue::CBOE_BZX,
        Venue::Edgx => venue::CBOE_EDGX,
        Venue::Xnys => venue::NYSE,
        Venue::Xcis => NYSE_NATIONAL,
        Venue::Xase => venue::NYSE_AMERICAN,
        Venue::Arcx => venue::NYSE_ARCA,
        Venue::Xchi => NYSE_CHICAGO,
        Venue::Iexg => venue::IEX,
        Venue::Finn | Venue::Finc => venue::FINRA_NASDAQ_TRF,
        Venue::Memx => venue::MEMX,
        Venue::Eprl => venue::MIAX_PEARL,
        // Options exchanges.
        Venue::Amxo => venue::NYSE_AMERICAN,
        Venue::Xbox => venue::BOX,
        Venue::Xcbo => venue::CBOE,
        Venue::Edgo => venue::CBOE_EDGX,
        Venue::Gmni => venue::ISE_GEMINI,
        Venue::Xisx => venue::ISE,
        Venue::Mcry => venue::ISE_MERCURY,
        Venue::Xmio => venue::MIAX,
        Venue::Arco => venue::NYSE_ARCA,
        Venue::Opra => venue::OPRA,
        Venue::Mprl => venue::MIAX_PEARL,
        Venue::Xndq => venue::NASDAQ,
        Venue::Xbxo => venue::NASDAQ_BX,
        Venue::C2Ox => venue::CBOE_C2,
        Venue::Xphl => venue::PHLX,
        Venue::Bato => venue::CBOE_BZX,
        Venue::Mxop => venue::MEMX,
        _ => venue::UNKNOWN,
    }
}

/// Publisher id to venue code, precomputed for every id the crate knows.
pub(super) struct VenueTable(Vec<Code>);

impl VenueTable {
    pub(super) fn new() -> VenueTable {
        VenueTable(
            (0..=u16::from(u8::MAX))
                .map(|id| Publisher::try_from(id).map_or(venue::UNKNOWN, |p| code(p.venue())))
                .collect(),
        )
    }

    #[inline]
    pub(super) fn get(&self, publisher: u16) -> Code {
        self.0
            .get(usize::from(publisher))
            .copied()
            .unwrap_or(venue::UNKNOWN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opra_and_stock_publishers_map_to_our_codes() {
        let table = VenueTable::new();
        assert_eq!(table.get(22), venue::CBOE, "OPRA.PILLAR.XCBO");
        assert_eq!(table.get(34), venue::CBOE_C2, "OPRA.PILLAR.C2OX");
        assert_eq!(table.get(30), venue::OPRA, "consolidated records");
        assert_eq!(table.get(26), venue::ISE);
        assert_eq!(table.get(2), venue::NASDAQ, "XNAS.ITCH");
        assert_eq!(table.get(41), venue::IEX, "DBEQ.BASIC.IEXG");
        assert_eq!(table.get(39), NYSE_CHICAGO, "DBEQ.BASIC.XCHI");
        assert_eq!(
            table.get(23),
            venue::UNKNOWN,
            "MIAX Emerald has no code of ours"
        );
        assert_eq!(table.get(9999), venue::UNKNOWN);
    }
}
