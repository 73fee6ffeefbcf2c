//! Python's `range`: lazy, printed as `range(0, 3)`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
}

impl Range {
    pub fn len(&self) -> usize {
        let span = if self.step > 0 {
            i128::from(self.stop) - i128::from(self.start)
        } else {
            i128::from(self.start) - i128::from(self.stop)
        };
        let step = i128::from(self.step).abs();
        if span <= 0 {
            0
        } else {
            usize::try_from((span + step - 1) / step).unwrap_or(usize::MAX)
        }
    }

    /// The item at `index` (already known to be within `0..len`).
    pub fn nth(&self, index: usize) -> i64 {
        (i128::from(self.start) + i128::from(self.step) * index as i128) as i64
    }

    pub fn iter(self) -> impl Iterator<Item = i64> {
        (0..self.len()).map(move |i| self.nth(i))
    }

    pub fn contains(&self, value: i64) -> bool {
        let len = self.len();
        if len == 0 {
            return false;
        }
        let offset = i128::from(value) - i128::from(self.start);
        let step = i128::from(self.step);
        offset % step == 0 && (0..len as i128).contains(&(offset / step))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_items() {
        let r = Range {
            start: 10,
            stop: 0,
            step: -3,
        };
        assert_eq!(r.iter().collect::<Vec<_>>(), [10, 7, 4, 1]);
        assert!(r.contains(7) && !r.contains(0) && !r.contains(13));
        assert_eq!(
            Range {
                start: 0,
                stop: 0,
                step: 1
            }
            .len(),
            0
        );
    }
}
