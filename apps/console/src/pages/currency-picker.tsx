import { useState } from 'preact/hooks';
import { href } from '../router.ts';

/** Currencies the sample stream uses; any other ISO 4217 code can be typed. */
const SUGGESTED = ['PEN', 'USD', 'MXN'];

/** A currency field: submitting it moves to the same page in that currency (a hash change, no request). */
export function CurrencyPicker({ currency, target, extra = {} }: { currency: string; target: string[]; extra?: Record<string, string> }) {
  const [value, setValue] = useState(currency);
  return (
    <form
      class="filters"
      onSubmit={(event) => {
        event.preventDefault();
        const code = value.trim().toUpperCase();
        if (/^[A-Z]{3}$/.test(code)) location.hash = href(target, { ...extra, currency: code });
      }}
    >
      <label>
        Currency{' '}
        <input
          name="currency"
          list="currencies"
          value={value}
          size={5}
          maxLength={3}
          pattern="[A-Za-z]{3}"
          required
          onInput={(event) => setValue(event.currentTarget.value)}
        />
      </label>
      <datalist id="currencies">
        {SUGGESTED.map((code) => (
          <option key={code} value={code} />
        ))}
      </datalist>
      <button type="submit">Show</button>
    </form>
  );
}
