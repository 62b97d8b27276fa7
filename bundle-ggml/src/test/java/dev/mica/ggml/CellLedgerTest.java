package dev.mica.ggml;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CellLedgerTest {
    @Test
    void decodedTokensTakeOneCellEach() {
        CellLedger ledger = new CellLedger();
        ledger.addRange(0, 0, 9);
        ledger.addRange(1, 0, 4);
        assertEquals(15, ledger.used());
    }

    @Test
    void aSharedPrefixCountsOnceUntilItsLastSequenceLetsGo() {
        CellLedger ledger = new CellLedger();
        ledger.addRange(0, 0, 9);
        ledger.share(0, 1, 0, 6);
        assertEquals(10, ledger.used());
        ledger.add(1, 6);
        assertEquals(11, ledger.used());
        ledger.removeSequence(0);
        assertEquals(7, ledger.used(), "positions 0-5 live on in sequence 1, plus its own 6");
        ledger.remove(1, 3, Integer.MAX_VALUE);
        assertEquals(3, ledger.used());
    }

    @Test
    void keepOnlyFreesWhatOnlyOthersHeld() {
        CellLedger ledger = new CellLedger();
        ledger.addRange(0, 0, 9);
        ledger.share(0, 1, 0, 5);
        ledger.addRange(2, 0, 2);
        ledger.keepOnly(1);
        assertEquals(5, ledger.used());
        ledger.remove(1, 0, 5);
        assertEquals(0, ledger.used());
    }

    @Test
    void copyingAcrossStreamsDuplicatesCellsAndReplacesTheTarget() {
        CellLedger ledger = new CellLedger();
        ledger.addRange(0, 0, 3);
        ledger.addRange(1, 0, 7);
        ledger.duplicate(0, 1);
        assertEquals(8, ledger.used(), "4 cells each");
        ledger.removeSequence(0);
        assertEquals(4, ledger.used());
    }

    @Test
    void emptyAndOutsideRangesChangeNothing() {
        CellLedger ledger = new CellLedger();
        ledger.remove(3, 0, 10);
        ledger.share(3, 4, 0, 10);
        ledger.addRange(0, 0, 4);
        ledger.remove(0, 7, 9);
        ledger.remove(0, 2, 2);
        assertEquals(5, ledger.used());
        ledger.clear();
        assertEquals(0, ledger.used());
    }
}
