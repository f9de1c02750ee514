import './ui/tokens.css';
import { startTheme } from './ui/theme';
import './ui/attn-app';

startTheme();
